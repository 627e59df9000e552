"""the map's state at any date: hazard periods and per-province changes, kept with the ledger

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 09:00:00

Issue 15, item 4 (past dates as fast as today). A map of an earlier date needs, for every
hazard in a tile, the state its ledger gives on that date, and for the province layer the
remaining area and open hazards of every province on that date. Both were rebuilt per
request from the whole ledger (seconds at 100,000 hazards). They are now derived once,
by triggers on the ledger tables, in the same transaction that stores a hazard's ledger:

- ``hazard_period``: one row per ledger entry that leaves the hazard recorded, in force
  from the entry's date to the next entry's (``during``), with its reference, status and
  remaining area, and the boundary then in force (its bounding box, a point on it, its area as maps
  show it). A tile of any date is one GiST lookup on (bbox_3857, during).
- ``hazard_admin1_area`` and ``hazard_admin1_count``: each hazard's share of the
  province figures, per province and date: the level-1 pieces of its entries, and +1/-1
  where it opens and closes (or moves) in the province it is counted in.
- ``admin1_change``: their sums per province, kind of contamination and date. The figures
  on a date D are the sums of the rows dated D or earlier (tens of thousands of rows at
  national scale).

``hazard_revision`` gets the point and the area the maps show of each boundary (generated
columns, computed once when the revision is recorded).

The triggers run as the owner (SECURITY DEFINER, pinned search_path); the application only
reads the new tables (docs/decisions/0001-database-roles-and-derived-tables.md). The
areas summed here are the ledger's own pieces; the open threshold, 1 m², is
ims.domain.figures.OPEN_THRESHOLD_M2 (tests/reports/test_map_state.py holds them equal).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
OPEN_M2 = '1.0'  # ims.domain.figures.OPEN_THRESHOLD_M2
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
INSERT_ONLY = (*APPEND_ONLY, 'hazard', 'report_run')
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
MAP_STATE = ('hazard_period', 'hazard_admin1_area', 'hazard_admin1_count', 'admin1_change')
READ_ONLY = (*DERIVED, *MAP_STATE, 'alembic_version', 'spatial_ref_sys')
APP_FUNCTIONS = ('ims_ledger_stage()', 'ims_ledger_store(integer[], boolean)',
                 'ims_refresh_overlaps(integer[])')
OWNER_FUNCTIONS = ('ims_audit_seal()', 'ims_grant_app_role()')
MAP_FUNCTIONS = ('ims_map_follow(integer[], integer[])', 'ims_map_forget(integer[], boolean)',
                 'ims_map_areas_from(integer[])', 'ims_map_rebuild(integer[])',
                 'ims_map_pieces_added()', 'ims_map_pieces_changed()', 'ims_map_entries_added()',
                 'ims_map_entries_changed()', 'ims_map_truncated()')

_GRANT_BODY = """
    CREATE OR REPLACE FUNCTION ims_grant_app_role() RETURNS void LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        -- EXECUTE is PUBLIC's by default, and a restore without privileges resets it.
        REVOKE ALL ON FUNCTION {functions} FROM PUBLIC;
        -- Nobody but the owner makes objects in the schema (PostgreSQL before 15 let all).
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{app}') THEN
            RETURN;
        END IF;
        GRANT USAGE ON SCHEMA public TO {app};
        REVOKE CREATE ON SCHEMA public FROM {app};
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app};
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {app};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app};
        REVOKE UPDATE, DELETE ON {insert_only} FROM {app};
        REVOKE INSERT, UPDATE, DELETE ON {read_only} FROM {app};
        REVOKE ALL ON audit_seal FROM {app};
        GRANT EXECUTE ON FUNCTION {app_functions} TO {app};
    END $$
"""
GRANTS = _GRANT_BODY.format(
    functions=", ".join(APP_FUNCTIONS + OWNER_FUNCTIONS + MAP_FUNCTIONS), app=APP_ROLE,
    insert_only=", ".join(INSERT_ONLY), read_only=", ".join(READ_ONLY),
    app_functions=", ".join(APP_FUNCTIONS))
# The grants of revision 0010, for the downgrade.
GRANTS_0010 = _GRANT_BODY.format(
    functions=", ".join(APP_FUNCTIONS + OWNER_FUNCTIONS), app=APP_ROLE,
    insert_only=", ".join(INSERT_ONLY), read_only=", ".join((*DERIVED, 'alembic_version',
                                                             'spatial_ref_sys')),
    app_functions=", ".join(APP_FUNCTIONS))

# The periods and open-hazard counts that follow from these hazards' ledger entries, from
# entry ``from_no`` on (0: all of them), given everything before it is there already: an
# approval appends entries to a hazard's ledger, and only its last period (which now ends)
# and the new entries' share are written. No geometry work: the boundary's box, point and
# area were computed once, with its revision. admin1_change is written in a fixed order so
# that concurrent writers lock its rows alike.
FOLLOW = """
    CREATE FUNCTION ims_map_follow(hazard_ids integer[], from_nos integer[]) RETURNS void
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

# Everything these hazards added to the map's state, taken away again.
FORGET = """
    CREATE FUNCTION ims_map_forget(hazard_ids integer[], areas boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        IF areas THEN
            INSERT INTO public.admin1_change AS a (admin_id, contam, "on", area_m2, hazards)
            SELECT c.admin_id, c.contam, c."on", -sum(c.area_m2), 0
            FROM public.hazard_admin1_area c WHERE c.hazard_id = ANY (hazard_ids)
            GROUP BY c.admin_id, c.contam, c."on" ORDER BY c.admin_id, c.contam, c."on"
            ON CONFLICT (admin_id, contam, "on")
            DO UPDATE SET area_m2 = a.area_m2 + excluded.area_m2;
            DELETE FROM public.hazard_admin1_area WHERE hazard_id = ANY (hazard_ids);
            RETURN;
        END IF;
        INSERT INTO public.admin1_change AS a (admin_id, contam, "on", area_m2, hazards)
        SELECT c.admin_id, c.contam, c."on", 0, -sum(c.hazards)
        FROM public.hazard_admin1_count c WHERE c.hazard_id = ANY (hazard_ids)
        GROUP BY c.admin_id, c.contam, c."on" ORDER BY c.admin_id, c.contam, c."on"
        ON CONFLICT (admin_id, contam, "on") DO UPDATE SET hazards = a.hazards + excluded.hazards;
        DELETE FROM public.hazard_admin1_count WHERE hazard_id = ANY (hazard_ids);
        DELETE FROM public.hazard_period WHERE hazard_id = ANY (hazard_ids);
    END $$
"""

# Province areas from ledger pieces: ``pieces`` (a query of hazard_id, entry_no, level,
# admin_id, area_m2) added to each hazard's share and to the sums.
AREAS_SQL = """
        WITH pieces AS (
            SELECT p.hazard_id, p.admin_id, e."on", h.contam, sum(p.area_m2) AS area_m2
            FROM {pieces} p
            JOIN public.ledger_entry e ON e.hazard_id = p.hazard_id AND e.entry_no = p.entry_no
            JOIN public.hazard h ON h.id = p.hazard_id
            WHERE p.level = 1 AND p.admin_id IS NOT NULL
            GROUP BY p.hazard_id, p.admin_id, e."on", h.contam),
        kept AS (
            INSERT INTO public.hazard_admin1_area AS k (hazard_id, admin_id, "on", contam,
                area_m2)
            SELECT hazard_id, admin_id, "on", contam, area_m2 FROM pieces
            ON CONFLICT (hazard_id, admin_id, "on")
            DO UPDATE SET area_m2 = k.area_m2 + excluded.area_m2)
        INSERT INTO public.admin1_change AS a (admin_id, contam, "on", area_m2, hazards)
        SELECT admin_id, contam, "on", sum(area_m2), 0 FROM pieces
        GROUP BY admin_id, contam, "on" ORDER BY admin_id, contam, "on"
        ON CONFLICT (admin_id, contam, "on") DO UPDATE SET area_m2 = a.area_m2 + excluded.area_m2;
"""

AREAS_FROM = f"""
    CREATE FUNCTION ims_map_areas_from(hazard_ids integer[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        {AREAS_SQL.format(pieces="(SELECT * FROM public.ledger_piece q "
                                 "WHERE q.hazard_id = ANY (hazard_ids))")}
    END $$
"""

# New pieces (an approval stores a hazard's entries, then their pieces): only they are
# added, whatever the hazard had before.
PIECES_ADDED = f"""
    CREATE FUNCTION ims_map_pieces_added() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        {AREAS_SQL.format(pieces="new_pieces")}
        RETURN NULL;
    END $$
"""

PIECES_CHANGED = """
    CREATE FUNCTION ims_map_pieces_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        ids integer[];
    BEGIN
        SELECT array_agg(DISTINCT hazard_id) INTO ids
        FROM (SELECT hazard_id FROM old_pieces UNION SELECT hazard_id FROM new_pieces) c;
        IF ids IS NOT NULL THEN
            PERFORM public.ims_map_forget(ids, true);
            PERFORM public.ims_map_areas_from(ids);
        END IF;
        RETURN NULL;
    END $$
"""

# Entries added after a hazard's last one (as approvals add them, or all of a ledger after
# it was deleted): followed from the first new one. Otherwise, and when entries are
# removed or changed, the hazard's share is taken away and made again from its ledger as
# it is now (after ims_ledger_store deletes a ledger to store it again: nothing, at once).
ENTRIES_ADDED = """
    CREATE FUNCTION ims_map_entries_added() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        appended integer[];
        from_nos integer[];
        others integer[];
    BEGIN
        SELECT array_agg(n.hazard_id) FILTER (WHERE n.after_all),
               array_agg(n.first_no) FILTER (WHERE n.after_all),
               array_agg(n.hazard_id) FILTER (WHERE NOT n.after_all)
          INTO appended, from_nos, others
        FROM (SELECT g.hazard_id, g.first_no,
                     (SELECT count(*) FROM public.ledger_entry e WHERE e.hazard_id = g.hazard_id
                      AND e.entry_no >= g.first_no) = g.added AS after_all
              FROM (SELECT hazard_id, min(entry_no) AS first_no, count(*) AS added
                    FROM new_entries GROUP BY hazard_id) g) n;
        IF appended IS NOT NULL THEN
            PERFORM public.ims_map_follow(appended, from_nos);
        END IF;
        IF others IS NOT NULL THEN
            PERFORM public.ims_map_rebuild(others);
        END IF;
        RETURN NULL;
    END $$
"""

REBUILD = """
    CREATE FUNCTION ims_map_rebuild(hazard_ids integer[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        PERFORM public.ims_map_forget(hazard_ids, false);
        PERFORM public.ims_map_forget(hazard_ids, true);
        PERFORM public.ims_map_follow(hazard_ids, array_fill(0, ARRAY[cardinality(hazard_ids)]));
        PERFORM public.ims_map_areas_from(hazard_ids);
    END $$
"""

ENTRIES_CHANGED = """
    CREATE FUNCTION ims_map_entries_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        ids integer[];
    BEGIN
        IF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT hazard_id) INTO ids FROM old_entries;
        ELSE
            SELECT array_agg(DISTINCT hazard_id) INTO ids
            FROM (SELECT hazard_id FROM old_entries UNION SELECT hazard_id FROM new_entries) c;
        END IF;
        IF ids IS NOT NULL THEN
            PERFORM public.ims_map_rebuild(ids);
        END IF;
        RETURN NULL;
    END $$
"""

TRUNCATED = """
    CREATE FUNCTION ims_map_truncated() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        TRUNCATE public.hazard_period, public.hazard_admin1_area, public.hazard_admin1_count,
            public.admin1_change;
        RETURN NULL;
    END $$
"""

# Statement triggers with transition tables: one call per statement, however many rows.
# Pieces removed with their entries (ON DELETE CASCADE) are handled by the entries'
# trigger: a trigger of their own would run once per entry.
TRIGGERS = (
    "CREATE TRIGGER ledger_entry_map_insert AFTER INSERT ON ledger_entry "
    "REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT "
    "EXECUTE FUNCTION ims_map_entries_added()",
    "CREATE TRIGGER ledger_entry_map_delete AFTER DELETE ON ledger_entry "
    "REFERENCING OLD TABLE AS old_entries FOR EACH STATEMENT "
    "EXECUTE FUNCTION ims_map_entries_changed()",
    "CREATE TRIGGER ledger_entry_map_update AFTER UPDATE ON ledger_entry "
    "REFERENCING OLD TABLE AS old_entries NEW TABLE AS new_entries FOR EACH STATEMENT "
    "EXECUTE FUNCTION ims_map_entries_changed()",
    "CREATE TRIGGER ledger_entry_map_truncate AFTER TRUNCATE ON ledger_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION ims_map_truncated()",
    "CREATE TRIGGER ledger_piece_map_insert AFTER INSERT ON ledger_piece "
    "REFERENCING NEW TABLE AS new_pieces FOR EACH STATEMENT "
    "EXECUTE FUNCTION ims_map_pieces_added()",
    "CREATE TRIGGER ledger_piece_map_update AFTER UPDATE ON ledger_piece "
    "REFERENCING OLD TABLE AS old_pieces NEW TABLE AS new_pieces FOR EACH STATEMENT "
    "EXECUTE FUNCTION ims_map_pieces_changed()",
)
TRIGGER_NAMES = (
    ('ledger_entry', 'ledger_entry_map_insert'),
    ('ledger_entry', 'ledger_entry_map_delete'),
    ('ledger_entry', 'ledger_entry_map_update'),
    ('ledger_entry', 'ledger_entry_map_truncate'),
    ('ledger_piece', 'ledger_piece_map_insert'),
    ('ledger_piece', 'ledger_piece_map_update'),
)


def upgrade() -> None:
    """The tables, their triggers on the ledger, and their rows for the ledger so far."""
    op.add_column('hazard_revision', sa.Column(
        'point_3857', Geometry(geometry_type='POINT', srid=3857, dimension=2,
                               spatial_index=False, from_text='ST_GeomFromEWKT',
                               name='geometry'),
        sa.Computed('ST_Transform(ST_PointOnSurface(geom), 3857)', persisted=True),
        nullable=True))
    op.add_column('hazard_revision', sa.Column(
        'map_area_m2', sa.Float(),
        sa.Computed('ST_Area(geom::geography)', persisted=True), nullable=True))

    op.create_table('hazard_period',
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('entry_no', sa.Integer(), nullable=False),
    sa.Column('during', postgresql.DATERANGE(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=3), nullable=False),
    sa.Column('contam', sa.String(length=3), nullable=False),
    sa.Column('remaining_m2', sa.Float(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('bbox_3857', Geometry(geometry_type='POLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=False),
    sa.Column('point_3857', Geometry(geometry_type='POINT', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('hazard_id', 'entry_no', name=op.f('pk_hazard_period'))
    )
    op.create_index('ix_hazard_period_where_when', 'hazard_period', ['bbox_3857', 'during'],
                    unique=False, postgresql_using='gist')
    op.create_table('hazard_admin1_area',
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('contam', sa.String(length=3), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('hazard_id', 'admin_id', 'on', name=op.f('pk_hazard_admin1_area'))
    )
    op.create_table('hazard_admin1_count',
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('contam', sa.String(length=3), nullable=False),
    sa.Column('hazards', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('hazard_id', 'admin_id', 'on', name=op.f('pk_hazard_admin1_count'))
    )
    op.create_table('admin1_change',
    sa.Column('admin_id', sa.Integer(), nullable=False),
    sa.Column('contam', sa.String(length=3), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.Column('hazards', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('admin_id', 'contam', 'on', name=op.f('pk_admin1_change'))
    )

    for function in (FOLLOW, FORGET, AREAS_FROM, REBUILD, PIECES_ADDED, PIECES_CHANGED,
                     ENTRIES_ADDED, ENTRIES_CHANGED, TRUNCATED):
        op.execute(function)
    for trigger in TRIGGERS:
        op.execute(trigger)
    # The ledger so far.
    op.execute("SELECT ims_map_rebuild(array_agg(id)) FROM hazard HAVING count(*) > 0")
    # planned with statistics from the first request on, not once autovacuum comes by
    op.execute(f"ANALYZE {', '.join(MAP_STATE)}")
    op.execute(GRANTS)
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them (the ledger itself is untouched)."""
    for table, trigger in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in reversed(MAP_FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute(GRANTS_0010)
    op.drop_table('admin1_change')
    op.drop_table('hazard_admin1_count')
    op.drop_table('hazard_admin1_area')
    op.drop_index('ix_hazard_period_where_when', table_name='hazard_period',
                  postgresql_using='gist')
    op.drop_table('hazard_period')
    op.drop_column('hazard_revision', 'map_area_m2')
    op.drop_column('hazard_revision', 'point_3857')
    op.execute("SELECT ims_grant_app_role()")
