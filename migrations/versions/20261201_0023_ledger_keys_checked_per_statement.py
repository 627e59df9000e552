"""the ledger's admin areas and records checked once per statement, not once per row

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 09:00:00

Issue 15 (national scale). A ledger entry names up to four admin areas (where the hazard
is counted and where a release's destroyed items go, at both levels), its revision and
its release; a ledger piece names one admin area. Each was a foreign key, checked one row
at a time: storing 4,000 hazards' ledgers (27,000 entries, 50,000 pieces) took 2.2 s with
them and 0.9 s without, most of a national approval's time in storing ledgers.

- Admin areas: inserting or changing entries or pieces checks their admin areas in one
  query over the statement's rows (transition tables); an admin area that the ledger
  names may be neither deleted nor given another id, nor the table truncated (admin areas
  are updated in place by a boundary load and never deleted: the check runs only then).
- Revisions and releases: ``ims_ledger_store``, the only way the application writes a
  ledger, already checks that each entry's revision or release exists and is its
  hazard's; both tables are append-only (no UPDATE or DELETE for any role), and now
  TRUNCATE is refused too while the ledger names any of their rows.

The error is PostgreSQL's for a broken foreign key (23503), as before. The foreign keys
from the ledger to the hazard (ON DELETE CASCADE) and from pieces to their entry remain.

``ims_analyze_recorded()`` (0022) also refreshes the statistics of the hazards, their
estimates, release items and ledger pieces, and the approval calls it again each time the
ledgers it has stored double: a first national import fills these tables inside its
transaction, and with the statistics of empty tables the map's and the report's triggers
joined each chunk to the whole of the hazards, their revisions and estimates (hash joins
over 20,000-140,000 rows, in every chunk).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRY_KEYS = ('count_admin1_id', 'count_admin2_id', 'items_admin1_id', 'items_admin2_id')

# The first admin area the rows of ``rows`` (a transition table) name that does not
# exist, and a row that names it: the statement's admin areas are few (a country has a few
# hundred), so they are gathered first and looked up once each.
_MISSING = """
    SELECT x.admin_id INTO missing
    FROM (SELECT DISTINCT a.admin_id
          FROM {rows} r CROSS JOIN LATERAL (VALUES {columns}) AS a(admin_id)) x
    WHERE x.admin_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM public.admin_area s WHERE s.id = x.admin_id)
    LIMIT 1;
    IF missing IS NOT NULL THEN
        SELECT format('%s of hazard id %s entry %s names admin area id %s, which does not exist',
                      '{what}', r.hazard_id, r.entry_no, missing) INTO problem
        FROM {rows} r WHERE missing IN ({names}) LIMIT 1;
        RAISE EXCEPTION '%', problem USING ERRCODE = 'foreign_key_violation';
    END IF;
"""


def _check_function(name: str, what: str, columns: tuple[str, ...]) -> str:
    check = _MISSING.format(
        what=what, rows='new_rows', columns=', '.join(f'(r.{c})' for c in columns),
        names=', '.join(f'r.{c}' for c in columns))
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        missing integer;
        problem text;
    BEGIN
        {check}
        RETURN NULL;
    END $$
    """


ENTRY_CHECK = _check_function('ims_ledger_entry_admins', 'ledger entry', ENTRY_KEYS)
PIECE_CHECK = _check_function('ims_ledger_piece_admins', 'ledger piece', ('admin_id',))

# Admin areas gone (deleted, or their id changed) that the ledger still names.
AREAS_GONE = """
    CREATE FUNCTION ims_admin_areas_gone() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        gone integer[];
        named integer;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            SELECT array_agg(o.id) INTO gone FROM old_areas o;
        ELSE
            SELECT array_agg(o.id) INTO gone FROM old_areas o
            WHERE NOT EXISTS (SELECT 1 FROM new_areas n WHERE n.id = o.id);
        END IF;
        IF gone IS NULL THEN
            RETURN NULL;
        END IF;
        SELECT x.id INTO named FROM unnest(gone) AS x(id)
        WHERE EXISTS (SELECT 1 FROM public.ledger_entry e
                      WHERE x.id IN (e.count_admin1_id, e.count_admin2_id,
                                     e.items_admin1_id, e.items_admin2_id))
           OR EXISTS (SELECT 1 FROM public.ledger_piece p WHERE p.admin_id = x.id)
        LIMIT 1;
        IF named IS NOT NULL THEN
            RAISE EXCEPTION 'admin area id % is named in the ledger: it cannot be removed', named
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$
"""

# Admin areas, revisions or releases emptied at once while the ledger names them.
NAMED_TRUNCATED = """
    CREATE FUNCTION ims_ledger_named_truncated() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM public.ledger_entry) THEN
            RAISE EXCEPTION 'the ledger names rows of %: they cannot be removed', TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$
"""

TRIGGERS = (
    ('ledger_entry', 'ledger_entry_admins_insert',
     "AFTER INSERT ON ledger_entry REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
     "EXECUTE FUNCTION ims_ledger_entry_admins()"),
    ('ledger_entry', 'ledger_entry_admins_update',
     "AFTER UPDATE ON ledger_entry REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
     "EXECUTE FUNCTION ims_ledger_entry_admins()"),
    ('ledger_piece', 'ledger_piece_admins_insert',
     "AFTER INSERT ON ledger_piece REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
     "EXECUTE FUNCTION ims_ledger_piece_admins()"),
    ('ledger_piece', 'ledger_piece_admins_update',
     "AFTER UPDATE ON ledger_piece REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
     "EXECUTE FUNCTION ims_ledger_piece_admins()"),
    ('admin_area', 'admin_area_gone_delete',
     "AFTER DELETE ON admin_area REFERENCING OLD TABLE AS old_areas FOR EACH STATEMENT "
     "EXECUTE FUNCTION ims_admin_areas_gone()"),
    ('admin_area', 'admin_area_gone_update',
     "AFTER UPDATE ON admin_area REFERENCING OLD TABLE AS old_areas NEW TABLE AS new_areas "
     "FOR EACH STATEMENT EXECUTE FUNCTION ims_admin_areas_gone()"),
    *((table, f'{table}_named_truncate',
       f"BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
       "EXECUTE FUNCTION ims_ledger_named_truncated()")
      for table in ('admin_area', 'hazard_revision', 'release')),
)
FUNCTIONS = ('ims_ledger_entry_admins()', 'ims_ledger_piece_admins()',
             'ims_admin_areas_gone()', 'ims_ledger_named_truncated()')

# (table, constraint, column, referenced table)
FOREIGN_KEYS = (
    *(('ledger_entry', f'fk_ledger_entry_{column}_admin_area', column, 'admin_area')
      for column in ENTRY_KEYS),
    ('ledger_piece', 'fk_ledger_piece_admin_id_admin_area', 'admin_id', 'admin_area'),
    ('ledger_entry', 'fk_ledger_entry_revision_id_hazard_revision', 'revision_id',
     'hazard_revision'),
    ('ledger_entry', 'fk_ledger_entry_release_id_release', 'release_id', 'release'),
)


ANALYZE_RECORDED = """
    CREATE OR REPLACE FUNCTION ims_analyze_recorded() RETURNS void LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        -- Only the columns the ledger's lookups filter on: a geometry column's statistics
        -- take most of an ANALYZE (1.5 s against 0.6 s for release at 306,000 rows).
        ANALYZE public.hazard_revision (hazard_id, submission_id);
        ANALYZE public.release (hazard_id, submission_id);
        ANALYZE public.ledger_entry (hazard_id, release_id, revision_id);{more}
    END $$
"""


OPEN_M2 = '1.0'  # ims.domain.figures.OPEN_THRESHOLD_M2

# ims_map_follow as migration 0016 made it: the map's periods and counts after entries
# are appended (copied, as a migration's text never changes).
FOLLOW_0016 = """
    CREATE OR REPLACE FUNCTION ims_map_follow(hazard_ids integer[], from_nos integer[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        DELETE FROM public.hazard_period p
        USING unnest(hazard_ids, from_nos) AS f(hazard_id, from_no)
        WHERE p.hazard_id = f.hazard_id AND p.entry_no >= f.from_no - 1;
        INSERT INTO public.hazard_period (hazard_id, entry_no, during, reference, status,
            contam, remaining_m2, revision_id, bbox_3857, point_3857, area_m2)
        SELECT s.hazard_id, s.entry_no, s.during, h.reference, s.status_after, h.contam,
            s.remaining_after_m2, s.revision_id, ST_Envelope(r.geom_3857), r.point_3857,
            r.map_area_m2
        FROM (SELECT e.hazard_id, e.entry_no, e.status_after, e.remaining_after_m2,
                     e.revision_id, daterange(e."on", CASE
                         -- entries out of date order (only a tampered ledger, which
                         -- ims db verify reports) give an empty period, not an error
                         WHEN lead(e."on") OVER w < e."on" THEN e."on"
                         ELSE lead(e."on") OVER w END) AS during
              FROM unnest(hazard_ids, from_nos) AS f(hazard_id, from_no)
              JOIN public.ledger_entry e
                ON e.hazard_id = f.hazard_id AND e.entry_no >= f.from_no - 1
              WINDOW w AS (PARTITION BY e.hazard_id ORDER BY e.entry_no)) s
        JOIN public.hazard h ON h.id = s.hazard_id
        JOIN public.hazard_revision r ON r.id = s.revision_id
        WHERE s.status_after IS NOT NULL AND NOT isempty(s.during);

        -- +1 where an entry leaves the hazard open, in the province it is counted in, and
        -- -1 where the entry before it did: summed up to a date, the open hazards then.
        WITH steps AS (
            SELECT e.hazard_id, e.entry_no, f.from_no, e."on", e.count_admin1_id AS admin_id,
                (e.status_after IS NOT NULL AND e.remaining_after_m2 >= {OPEN_M2}) AS open,
                lag(e.count_admin1_id) OVER w AS before_admin,
                coalesce(lag(e.status_after IS NOT NULL
                             AND e.remaining_after_m2 >= {OPEN_M2}) OVER w, false)
                    AS before_open
            FROM unnest(hazard_ids, from_nos) AS f(hazard_id, from_no)
            JOIN public.ledger_entry e
              ON e.hazard_id = f.hazard_id AND e.entry_no >= f.from_no - 1
            WINDOW w AS (PARTITION BY e.hazard_id ORDER BY e.entry_no)),
        counted AS (
            SELECT hazard_id, "on", admin_id, 1 AS n FROM steps
            WHERE entry_no >= from_no AND open AND admin_id IS NOT NULL
            UNION ALL
            SELECT hazard_id, "on", before_admin, -1 FROM steps
            WHERE entry_no >= from_no AND before_open AND before_admin IS NOT NULL),
        changes AS (
            SELECT x.hazard_id, x.admin_id, x."on", h.contam, sum(x.n)::integer AS hazards
            FROM counted x JOIN public.hazard h ON h.id = x.hazard_id
            GROUP BY x.hazard_id, x.admin_id, x."on", h.contam HAVING sum(x.n) <> 0),
        kept AS (
            INSERT INTO public.hazard_admin1_count AS k (hazard_id, admin_id, "on", contam,
                hazards)
            SELECT hazard_id, admin_id, "on", contam, hazards FROM changes
            ON CONFLICT (hazard_id, admin_id, "on")
            DO UPDATE SET hazards = k.hazards + excluded.hazards)
        INSERT INTO public.admin1_change AS a (admin_id, contam, "on", area_m2, hazards)
        SELECT admin_id, contam, "on", 0, sum(hazards) FROM changes
        GROUP BY admin_id, contam, "on" ORDER BY admin_id, contam, "on"
        ON CONFLICT (admin_id, contam, "on") DO UPDATE SET hazards = a.hazards + excluded.hazards;
    END $$
""".replace("{OPEN_M2}", OPEN_M2)

# The same, each period's hazard and revision looked up by key. Joined, they were planned
# from the statistics of a ledger still empty at the start of a first national import
# (13,667 periods expected of a chunk, 3,035 found) as hash joins over the whole of both
# tables: every chunk read every revision's row (65-85 ms at 28,646 revisions, 5 times
# that at a national 142,695).
_JOINED = """        JOIN public.hazard h ON h.id = s.hazard_id
        JOIN public.hazard_revision r ON r.id = s.revision_id
"""
_LOOKED_UP = """        CROSS JOIN LATERAL (SELECT x.reference, x.contam FROM public.hazard x
                            WHERE x.id = s.hazard_id OFFSET 0) h
        CROSS JOIN LATERAL (SELECT x.geom_3857, x.point_3857, x.map_area_m2
                            FROM public.hazard_revision x WHERE x.id = s.revision_id OFFSET 0) r
"""
assert _JOINED in FOLLOW_0016
FOLLOW = FOLLOW_0016.replace(_JOINED, _LOOKED_UP)


FOLLOWED = 'ims_map_follow(integer[], integer[])'

MORE_ANALYZED = """
        ANALYZE public.hazard (id);
        ANALYZE public.hazard_estimate (revision_id);
        ANALYZE public.release_item (release_id);
        ANALYZE public.ledger_piece (hazard_id, entry_no);"""


def upgrade() -> None:
    """The checks per statement in place of the foreign keys."""
    op.execute(ANALYZE_RECORDED.format(more=MORE_ANALYZED))
    op.execute(FOLLOW)
    op.execute(f"ALTER FUNCTION {FOLLOWED} SET random_page_cost = 1.1")  # as 0022 set it
    for sql in (ENTRY_CHECK, PIECE_CHECK, AREAS_GONE, NAMED_TRUNCATED):
        op.execute(sql)
    for function in FUNCTIONS:
        # trigger functions only: nobody calls them, so nobody is granted them
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"ALTER FUNCTION {function} SET random_page_cost = 1.1")
    for table, name, definition in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {definition}")
    for table, name, _column, _referenced in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")


def downgrade() -> None:
    """The foreign keys again."""
    op.execute(ANALYZE_RECORDED.format(more=""))
    op.execute(FOLLOW_0016)
    op.execute(f"ALTER FUNCTION {FOLLOWED} SET random_page_cost = 1.1")
    for table, name, column, referenced in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
                   f"REFERENCES {referenced} (id)")
    for table, name, _definition in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}")
