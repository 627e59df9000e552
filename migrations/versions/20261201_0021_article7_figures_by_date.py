"""the Article 7 figures as changes per admin area and date, kept with the ledger

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 18:00:00

Issue 15, item 3 (Article 7 at national scale: warm 0.5 s, cold 2 s). Form 1(h) on a date
D sums, for every hazard, its ledger up to D: a state per hazard, then its pieces per
admin area grouped by the status it has on D (about 1.2 s at 100,000 hazards), and Form
1(i) sums a year's release entries (0.3 s). Both are now sums of *changes*, derived once
by triggers on the ledger tables in the transaction that stores a hazard's ledger:

- ``report_change``: per admin level, admin area (NULL: unassigned), kind of
  contamination, figure and code, the sum of the changes dated in each year. A figure on
  31 December is the sum over the years up to it, a figure over calendar years the sum
  over them: a few rows per admin area and figure. Other dates add (or take away) the
  changes of the days between them and a year's end, from the ledger of those days
  (``ims_report_changes_between``).

  Figures that hold on a date (their code): ``remaining`` m² (SHA/CHA: the hazard's status
  on the date), ``open`` hazards (SHA/CHA), ``remnants`` estimated (munition type),
  ``used_from`` and ``used_to`` (year: how many open hazards give it). Figures over a period:
  ``released`` m² (method), ``closed`` hazards, ``destroyed`` items (munition type).
  ``records`` counts the estimates and release items summed, so a type given with
  quantity 0 is listed as before. Areas are where the ledger's pieces lie, hazards,
  remnants and years where each hazard is counted, items where the release's largest
  share lies (docs/design.md §2.5), exactly as the reports summed them from the ledger.
- ``hazard_report_area``: the area changes each hazard's pieces gave (``remaining`` by
  status, ``released`` by method), so that they can be taken back when its ledger is
  stored again (its pieces are gone by then). The other figures follow from the entries
  alone, which the triggers see before and after a change (transition tables).

Approvals append entries to ledgers or store them again whole; what the triggers write
is bounded by what changed, summed per year before it reaches report_change.

A piece of a hazard's ledger counts in ``remaining`` under the hazard's status on the date
asked for: so each piece adds its area from its date (or from the start of the status
period it falls in) under the status of each later period, and takes it away where that
period ends; when an approval appends a status change, the area held so far moves from
the old status to the new one on its date.

The triggers run as the owner (SECURITY DEFINER, pinned search_path); the application only
reads the new tables (docs/decisions/0001). ``ims_report_changes_expected()`` and
``ims_report_areas_expected()`` compute both tables afresh from the ledger: this migration
fills them with it, and ``ims db verify`` compares (docs/decisions/0011).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
OPEN_M2 = '1.0'  # ims.domain.figures.OPEN_THRESHOLD_M2
RELEASE_KINDS = "('cancelled', 'reduced', 'cleared')"
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
INSERT_ONLY = (*APPEND_ONLY, 'hazard', 'report_run', 'outside_release',
               'outside_release_conversion')
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
MAP_STATE = ('hazard_period', 'hazard_admin1_area', 'hazard_admin1_count', 'admin1_change')
REPORT_STATE = ('report_change', 'hazard_report_area')
APP_FUNCTIONS = ('ims_ledger_stage()', 'ims_ledger_store(integer[], boolean)',
                 'ims_refresh_overlaps(integer[])')
OWNER_FUNCTIONS = ('ims_audit_seal()', 'ims_grant_app_role()')
MAP_FUNCTIONS = ('ims_map_follow(integer[], integer[])', 'ims_map_forget(integer[], boolean)',
                 'ims_map_areas_from(integer[])', 'ims_map_rebuild(integer[])',
                 'ims_map_pieces_added()', 'ims_map_pieces_changed()', 'ims_map_entries_added()',
                 'ims_map_entries_changed()', 'ims_map_truncated()')
# read-only: the application may run them (ims db verify)
REPORT_READ_FUNCTIONS = ('ims_report_changes_between(date, date, smallint, varchar)',
                         'ims_report_changes_expected()', 'ims_report_areas_expected()')
REPORT_FUNCTIONS = ('ims_report_forget_areas(integer[])', 'ims_report_rebuild_areas(integer[])',
                    'ims_report_entries_added()', 'ims_report_entries_removed()',
                    'ims_report_entries_changed()',
                    'ims_report_pieces_added()', 'ims_report_pieces_changed()',
                    'ims_report_truncated()')

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


def _grants(*, report: bool) -> str:
    """ims_grant_app_role as of this revision (``report``) or of the one before."""
    read_only = (*DERIVED, *MAP_STATE, *(REPORT_STATE if report else ()), 'alembic_version',
                 'spatial_ref_sys')
    extra = REPORT_READ_FUNCTIONS + REPORT_FUNCTIONS if report else ()
    return _GRANT_BODY.format(
        functions=", ".join(APP_FUNCTIONS + OWNER_FUNCTIONS + MAP_FUNCTIONS + extra),
        app=APP_ROLE, insert_only=", ".join(INSERT_ONLY), read_only=", ".join(read_only),
        app_functions=", ".join(APP_FUNCTIONS + (REPORT_READ_FUNCTIONS if report else ())))


def entry_changes(entries: str, sign: str = '1',
                  levels: str = '(VALUES (1::smallint), (2::smallint))') -> str:
    """The changes of the figures that follow from ledger entries alone, as rows of
    (level, admin_id, contam, figure, code, "on", value, records), for the caller to sum.

    ``entries``: ledger_entry rows of some hazards, in full from some entry on, with a
    column ``counted``: the entries whose changes are wanted (those before them only say
    what held before). A hazard's state after an entry is open or not, its status, where
    it is counted and its revision in force; where it changes, what the state gave ends
    (-) and what it gives begins (+). Closing releases and destroyed items are changes of
    their own. ``levels``: the admin levels wanted (a relation of one column).
    """
    return f"""
    SELECT l.level, CASE l.level WHEN 1 THEN f.admin1 ELSE f.admin2 END AS admin_id,
           h.contam, f.figure, f.code, f."on",
           {sign} * f.value AS value, {sign} * f.records AS records
    FROM (
        WITH steps AS (
            SELECT e.*,
                   lag(e.open) OVER w AS before_open, lag(e.status_after) OVER w AS before_status,
                   lag(e.count_admin1_id) OVER w AS before_admin1,
                   lag(e.count_admin2_id) OVER w AS before_admin2,
                   lag(e.revision_id) OVER w AS before_revision
            FROM (SELECT x.*, (x.status_after IS NOT NULL AND x.remaining_after_m2 >= {OPEN_M2})
                             AS open
                  FROM {entries} x) e
            WINDOW w AS (PARTITION BY e.hazard_id ORDER BY e.entry_no)),
        moved AS (
            SELECT s.*, NOT (s.open AND coalesce(s.before_open, false)
                             AND (s.status_after, s.count_admin1_id, s.count_admin2_id,
                                  s.revision_id)
                                 IS NOT DISTINCT FROM (s.before_status, s.before_admin1,
                                                       s.before_admin2, s.before_revision))
                       AS moves
            FROM steps s WHERE s.counted),
        states AS (
            SELECT hazard_id, "on", 1 AS sign, status_after AS status,
                   count_admin1_id AS admin1, count_admin2_id AS admin2, revision_id
            FROM moved WHERE moves AND open
            UNION ALL
            SELECT hazard_id, "on", -1, before_status, before_admin1, before_admin2,
                   before_revision
            FROM moved WHERE moves AND coalesce(before_open, false))
        SELECT hazard_id, "on", admin1, admin2, 'open' AS figure, status AS code,
               sign::float8 AS value, 0 AS records
        FROM states
        UNION ALL
        SELECT s.hazard_id, s."on", s.admin1, s.admin2, 'remnants', he.munition_code,
               s.sign * he.quantity::float8, s.sign
        FROM states s JOIN public.hazard_estimate he ON he.revision_id = s.revision_id
        UNION ALL
        SELECT s.hazard_id, s."on", s.admin1, s.admin2, y.figure, y.year::text,
               s.sign::float8, 0
        FROM states s
        -- looked up one by one: the revisions' table is wide (their geometries)
        CROSS JOIN LATERAL (SELECT r.used_from, r.used_to FROM public.hazard_revision r
                            WHERE r.id = s.revision_id OFFSET 0) r
        CROSS JOIN LATERAL (VALUES ('used_from', r.used_from), ('used_to', r.used_to))
            AS y(figure, year)
        WHERE y.year IS NOT NULL
        UNION ALL
        SELECT hazard_id, "on", count_admin1_id, count_admin2_id, 'closed', '', 1, 0
        FROM moved
        WHERE kind IN {RELEASE_KINDS} AND remaining_after_m2 < {OPEN_M2}
          AND remaining_after_m2 - delta_m2 >= {OPEN_M2}
        UNION ALL
        SELECT m.hazard_id, m."on", m.items_admin1_id, m.items_admin2_id, 'destroyed',
               ri.munition_code, ri.quantity::float8, 1
        FROM moved m JOIN public.release_item ri ON ri.release_id = m.release_id
    ) f
    JOIN public.hazard h ON h.id = f.hazard_id
    CROSS JOIN {levels} AS l(level)
    """


def area_changes(pieces: str) -> str:
    """The area changes the ledger pieces ``pieces`` give, as rows of (hazard_id, level,
    admin_id, contam, figure, code, "on", value): ``released`` by method on the release's
    date, and ``remaining`` under each status the hazard takes from the piece's date on
    (its status on a date is that of its last entry up to the date: periods of one
    status, by date, from the hazard's ledger as it is now)."""
    return f"""
    WITH p AS (
        SELECT q.hazard_id, q.level, q.admin_id, q.area_m2, e."on", e.kind
        FROM {pieces} q
        JOIN public.ledger_entry e ON e.hazard_id = q.hazard_id AND e.entry_no = q.entry_no),
    days AS (
        SELECT DISTINCT ON (e.hazard_id, e."on") e.hazard_id, e."on", e.status_after AS status
        FROM public.ledger_entry e WHERE e.hazard_id IN (SELECT hazard_id FROM p)
        ORDER BY e.hazard_id, e."on", e.entry_no DESC),
    starts AS (
        SELECT hazard_id, "on", status FROM (
            SELECT d.*, lag(d.status) OVER w AS before, row_number() OVER w AS n
            FROM days d WINDOW w AS (PARTITION BY d.hazard_id ORDER BY d."on")) x
        WHERE n = 1 OR status IS DISTINCT FROM before),
    periods AS (
        SELECT hazard_id, "on" AS start, status,
               lead("on") OVER (PARTITION BY hazard_id ORDER BY "on") AS finish
        FROM starts),
    changes AS (
        SELECT p.hazard_id, p.level, p.admin_id, 'remaining' AS figure, t.status AS code,
               greatest(p."on", t.start) AS "on", p.area_m2 AS value
        FROM p JOIN periods t ON t.hazard_id = p.hazard_id
        WHERE t.status IS NOT NULL AND (t.finish IS NULL OR t.finish > p."on")
        UNION ALL
        SELECT p.hazard_id, p.level, p.admin_id, 'remaining', t.status, t.finish, -p.area_m2
        FROM p JOIN periods t ON t.hazard_id = p.hazard_id
        WHERE t.status IS NOT NULL AND t.finish > p."on"
        UNION ALL
        SELECT p.hazard_id, p.level, p.admin_id, 'released', p.kind, p."on", -p.area_m2
        FROM p WHERE p.kind IN {RELEASE_KINDS})
    SELECT c.hazard_id, c.level, c.admin_id, h.contam, c.figure, c.code, c."on",
           sum(c.value) AS value
    FROM changes c JOIN public.hazard h ON h.id = c.hazard_id
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(c.value) <> 0
    """


def add_changes(changes: str) -> str:
    """Add ``changes`` (rows of level, admin_id, contam, figure, code, "on", value, records)
    to report_change, to the year of each. Written in a fixed order, so that concurrent
    writers lock its rows alike."""
    return f"""
    INSERT INTO public.report_change AS c
        (level, admin_id, contam, figure, code, year, value, records)
    SELECT d.level, d.admin_id, d.contam, d.figure, d.code,
           extract(year FROM d."on")::smallint, sum(d.value), sum(d.records)
    FROM ({changes}) AS d
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(d.value) <> 0 OR sum(d.records) <> 0
    ORDER BY 1, 3, 4, 6, 2, 5
    ON CONFLICT (level, contam, figure, year, admin_id, code)
    DO UPDATE SET value = c.value + excluded.value, records = c.records + excluded.records
    """


def keep_area_changes(pieces: str) -> str:
    """Store the area changes of ``pieces`` per hazard and add them to report_change."""
    return f"""
    WITH changes AS ({area_changes(pieces)}),
    kept AS (
        INSERT INTO public.hazard_report_area
            (hazard_id, level, admin_id, contam, figure, code, "on", value)
        SELECT * FROM changes)
    {add_changes('SELECT level, admin_id, contam, figure, code, "on", value, 0 AS records '
                 'FROM changes')}
    """


# The entries of hazards ``ids`` as they are now, all counted.
CURRENT = ("(SELECT l.*, true AS counted FROM public.ledger_entry l "
           "WHERE l.hazard_id = ANY ({ids}))")

CHANGES_EXPECTED = f"""
    CREATE FUNCTION ims_report_changes_expected()
    RETURNS TABLE (level smallint, admin_id integer, contam varchar, figure varchar,
                   code varchar, year smallint, value double precision, records integer)
    LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
        SELECT d.level, d.admin_id, d.contam, d.figure, d.code,
               extract(year FROM d."on")::smallint, sum(d.value), sum(d.records)::integer
        FROM (
            {entry_changes("(SELECT l.*, true AS counted FROM public.ledger_entry l)")}
            UNION ALL
            SELECT level, admin_id, contam, figure, code, "on", value, 0
            FROM ({area_changes("public.ledger_piece")}) a
        ) d
        GROUP BY 1, 2, 3, 4, 5, 6
        HAVING sum(d.value) <> 0 OR sum(d.records) <> 0
    $$
"""

# The changes dated from ``from_day`` to ``to_day`` at one level, of one kind (the days between
# a date and the nearer end of its year, which report_change does not hold apart): those of
# the entries dated then (after the hazard's entry before them), and the area changes kept
# per hazard.
CHANGES_BETWEEN = f"""
    CREATE FUNCTION ims_report_changes_between(from_day date, to_day date, at_level smallint,
                                               of_contam varchar)
    RETURNS TABLE (admin_id integer, figure varchar, code varchar, "on" date,
                   value double precision, records integer)
    LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
        SELECT admin_id, figure, code, "on", value, records::integer FROM (
            {entry_changes('''(
                SELECT e.*, true AS counted FROM public.ledger_entry e
                JOIN public.hazard h ON h.id = e.hazard_id AND h.contam = of_contam
                WHERE e."on" BETWEEN from_day AND to_day
                UNION ALL
                SELECT b.*, false FROM (SELECT DISTINCT w.hazard_id FROM public.ledger_entry w
                                        JOIN public.hazard h ON h.id = w.hazard_id
                                        WHERE w."on" BETWEEN from_day AND to_day
                                          AND h.contam = of_contam) h
                CROSS JOIN LATERAL (
                    SELECT * FROM public.ledger_entry b
                    WHERE b.hazard_id = h.hazard_id AND b."on" < from_day
                    ORDER BY b.entry_no DESC LIMIT 1) b)''', levels='(SELECT at_level)')}) c
        UNION ALL
        SELECT a.admin_id, a.figure, a.code, a."on", a.value, 0
        FROM public.hazard_report_area a
        WHERE a."on" BETWEEN from_day AND to_day AND a.level = at_level
          AND a.contam = of_contam
    $$
"""

AREAS_EXPECTED = f"""
    CREATE FUNCTION ims_report_areas_expected()
    RETURNS TABLE (hazard_id integer, level smallint, admin_id integer, contam varchar,
                   figure varchar, code varchar, "on" date, value double precision)
    LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
        {area_changes("public.ledger_piece")}
    $$
"""

# Take back what these hazards' pieces gave (and give what their pieces give now).
FORGET_AREAS = f"""
    CREATE FUNCTION ims_report_forget_areas(hazard_ids integer[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        WITH gone AS (
            DELETE FROM public.hazard_report_area WHERE hazard_id = ANY (hazard_ids)
            RETURNING level, admin_id, contam, figure, code, "on", -value AS value,
                      0 AS records)
        {add_changes('SELECT * FROM gone')};
    END $$
"""

REBUILD_AREAS = f"""
    CREATE FUNCTION ims_report_rebuild_areas(hazard_ids integer[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        PERFORM public.ims_report_forget_areas(hazard_ids);
        IF EXISTS (SELECT 1 FROM public.ledger_piece q WHERE q.hazard_id = ANY (hazard_ids)) THEN
            {keep_area_changes(
                '(SELECT * FROM public.ledger_piece q WHERE q.hazard_id = ANY (hazard_ids))')};
        END IF;
    END $$
"""

# Entries added after a hazard's last one (as approvals add them, or all of a ledger after
# it was deleted): their changes, from the first new one. A status that changes on or
# after the date of the last entry before them moves the area held so far (the pieces
# already stored; the new entries' pieces follow, and the pieces trigger counts them under
# the statuses of the whole ledger). Entries added anywhere else: what the hazard's
# entries gave before is taken back and what they give now is added.
ENTRIES_ADDED = f"""
    CREATE FUNCTION ims_report_entries_added() RETURNS trigger
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
            {add_changes(entry_changes(
                '''(SELECT e.*, e.entry_no >= f.from_no AS counted
                    FROM unnest(appended, from_nos) AS f(hazard_id, from_no)
                    JOIN public.ledger_entry e ON e.hazard_id = f.hazard_id
                     AND e.entry_no >= coalesce(
                         (SELECT max(o.entry_no) FROM public.ledger_entry o
                          WHERE o.hazard_id = f.hazard_id AND o.entry_no < f.from_no),
                         f.from_no))'''))};

            -- the area held moves only where a new entry changes the status (releases
            -- keep it): most approvals stop here
            IF EXISTS (SELECT 1 FROM new_entries n CROSS JOIN LATERAL (
                           SELECT p.status_after FROM public.ledger_entry p
                           WHERE p.hazard_id = n.hazard_id AND p.entry_no < n.entry_no
                           ORDER BY p.entry_no DESC LIMIT 1) p
                       WHERE n.status_after IS DISTINCT FROM p.status_after) THEN
                WITH f AS (
                    SELECT f.hazard_id, f.from_no, b.entry_no AS before_no, b."on" AS before_on,
                           b.status_after AS before_status
                    FROM unnest(appended, from_nos) AS f(hazard_id, from_no)
                    CROSS JOIN LATERAL (
                        SELECT o.entry_no, o."on", o.status_after FROM public.ledger_entry o
                        WHERE o.hazard_id = f.hazard_id AND o.entry_no < f.from_no
                        ORDER BY o.entry_no DESC LIMIT 1) b),
                days AS (
                    SELECT DISTINCT ON (e.hazard_id, e."on") e.hazard_id, e."on",
                           e.status_after AS status, f.before_status
                    FROM f JOIN public.ledger_entry e
                      ON e.hazard_id = f.hazard_id AND e.entry_no >= f.before_no
                    ORDER BY e.hazard_id, e."on", e.entry_no DESC),
                switches AS (
                    SELECT * FROM (
                        SELECT d.hazard_id, d."on", d.status,
                               lag(d.status, 1, d.before_status)
                                   OVER (PARTITION BY d.hazard_id ORDER BY d."on") AS before
                        FROM days d) x
                    WHERE status IS DISTINCT FROM before),
                held AS (
                    SELECT q.hazard_id, q.level, q.admin_id, sum(q.area_m2) AS area
                    FROM f JOIN public.ledger_piece q
                      ON q.hazard_id = f.hazard_id AND q.entry_no < f.from_no
                    WHERE f.hazard_id IN (SELECT hazard_id FROM switches)
                    GROUP BY 1, 2, 3),
                changes AS (
                    SELECT s.hazard_id, k.level, k.admin_id, h.contam, 'remaining' AS figure,
                           x.status AS code, s."on", x.sign * k.area AS value
                    FROM switches s JOIN held k ON k.hazard_id = s.hazard_id
                    JOIN public.hazard h ON h.id = s.hazard_id
                    CROSS JOIN LATERAL (VALUES (s.before, -1), (s.status, 1)) AS x(status, sign)
                    WHERE x.status IS NOT NULL AND k.area <> 0),
                kept AS (
                    INSERT INTO public.hazard_report_area
                        (hazard_id, level, admin_id, contam, figure, code, "on", value)
                    SELECT * FROM changes)
                {add_changes('SELECT level, admin_id, contam, figure, code, "on", value, '
                             '0 AS records FROM changes')};
            END IF;
        END IF;
        IF others IS NOT NULL THEN
            {add_changes(
                entry_changes(
                    '''(SELECT l.*, true AS counted FROM public.ledger_entry l
                        WHERE l.hazard_id = ANY (others) AND NOT EXISTS (
                            SELECT 1 FROM new_entries n
                            WHERE n.hazard_id = l.hazard_id AND n.entry_no = l.entry_no))''',
                    '-1')
                + ' UNION ALL ' + entry_changes(CURRENT.format(ids='others')))};
            PERFORM public.ims_report_rebuild_areas(others);
        END IF;
        RETURN NULL;
    END $$
"""

ENTRIES_REMOVED = f"""
    CREATE FUNCTION ims_report_entries_removed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        ids integer[];
    BEGIN
        SELECT array_agg(DISTINCT hazard_id) INTO ids FROM old_entries;
        IF ids IS NULL THEN
            RETURN NULL;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM public.ledger_entry l WHERE l.hazard_id = ANY (ids)) THEN
            -- whole ledgers removed (ims_ledger_store stores them again): take back all
            {add_changes(entry_changes(
                "(SELECT o.*, true AS counted FROM old_entries o)", '-1'))};
            PERFORM public.ims_report_forget_areas(ids);
            RETURN NULL;
        END IF;
        {add_changes(
            entry_changes(
                '''(SELECT x.*, true AS counted FROM (
                        SELECT * FROM public.ledger_entry l WHERE l.hazard_id = ANY (ids)
                        UNION ALL SELECT * FROM old_entries) x)''',
                '-1')
            + ' UNION ALL ' + entry_changes(CURRENT.format(ids='ids')))};
        PERFORM public.ims_report_rebuild_areas(ids);
        RETURN NULL;
    END $$
"""

ENTRIES_CHANGED = f"""
    CREATE FUNCTION ims_report_entries_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        ids integer[];
    BEGIN
        SELECT array_agg(DISTINCT hazard_id) INTO ids
        FROM (SELECT hazard_id FROM old_entries UNION SELECT hazard_id FROM new_entries) c;
        IF ids IS NULL THEN
            RETURN NULL;
        END IF;
        {add_changes(
            entry_changes(
                '''(SELECT x.*, true AS counted FROM (
                        SELECT * FROM public.ledger_entry l WHERE l.hazard_id = ANY (ids)
                        AND NOT EXISTS (SELECT 1 FROM new_entries n WHERE
                                        n.hazard_id = l.hazard_id AND n.entry_no = l.entry_no)
                        UNION ALL SELECT * FROM old_entries) x)''',
                '-1')
            + ' UNION ALL ' + entry_changes(CURRENT.format(ids='ids')))};
        PERFORM public.ims_report_rebuild_areas(ids);
        RETURN NULL;
    END $$
"""

PIECES_ADDED = f"""
    CREATE FUNCTION ims_report_pieces_added() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        {keep_area_changes('new_pieces')};
        RETURN NULL;
    END $$
"""

PIECES_CHANGED = """
    CREATE FUNCTION ims_report_pieces_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        ids integer[];
    BEGIN
        SELECT array_agg(DISTINCT hazard_id) INTO ids
        FROM (SELECT hazard_id FROM old_pieces UNION SELECT hazard_id FROM new_pieces) c;
        IF ids IS NOT NULL THEN
            PERFORM public.ims_report_rebuild_areas(ids);
        END IF;
        RETURN NULL;
    END $$
"""

TRUNCATED = """
    CREATE FUNCTION ims_report_truncated() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        TRUNCATE public.report_change, public.hazard_report_area;
        RETURN NULL;
    END $$
"""

# Statement triggers with transition tables: one call per statement, however many rows.
# Pieces removed with their entries (ON DELETE CASCADE) are taken back by the entries'
# trigger (a trigger of their own would run once per entry).
TRIGGERS = (
    "CREATE TRIGGER ledger_entry_report_insert AFTER INSERT ON ledger_entry "
    "REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT "
    "EXECUTE FUNCTION ims_report_entries_added()",
    "CREATE TRIGGER ledger_entry_report_delete AFTER DELETE ON ledger_entry "
    "REFERENCING OLD TABLE AS old_entries FOR EACH STATEMENT "
    "EXECUTE FUNCTION ims_report_entries_removed()",
    "CREATE TRIGGER ledger_entry_report_update AFTER UPDATE ON ledger_entry "
    "REFERENCING OLD TABLE AS old_entries NEW TABLE AS new_entries FOR EACH STATEMENT "
    "EXECUTE FUNCTION ims_report_entries_changed()",
    "CREATE TRIGGER ledger_entry_report_truncate AFTER TRUNCATE ON ledger_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION ims_report_truncated()",
    "CREATE TRIGGER ledger_piece_report_insert AFTER INSERT ON ledger_piece "
    "REFERENCING NEW TABLE AS new_pieces FOR EACH STATEMENT "
    "EXECUTE FUNCTION ims_report_pieces_added()",
    "CREATE TRIGGER ledger_piece_report_update AFTER UPDATE ON ledger_piece "
    "REFERENCING OLD TABLE AS old_pieces NEW TABLE AS new_pieces FOR EACH STATEMENT "
    "EXECUTE FUNCTION ims_report_pieces_changed()",
)
TRIGGER_NAMES = (
    ('ledger_entry', 'ledger_entry_report_insert'),
    ('ledger_entry', 'ledger_entry_report_delete'),
    ('ledger_entry', 'ledger_entry_report_update'),
    ('ledger_entry', 'ledger_entry_report_truncate'),
    ('ledger_piece', 'ledger_piece_report_insert'),
    ('ledger_piece', 'ledger_piece_report_update'),
)


def upgrade() -> None:
    """The tables, their triggers on the ledger, and their rows for the ledger so far."""
    op.create_table('report_change',
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=True),
    sa.Column('contam', sa.String(length=3), nullable=False),
    sa.Column('figure', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    # value and records change in place at every approval: room on the page for the new
    # version, so that the index needs no new entry
    postgresql_with={'fillfactor': 70},
    )
    # the key, and what a report reads: one range per figure
    op.create_index('ux_report_change', 'report_change',
                    ['level', 'contam', 'figure', 'year', 'admin_id', 'code'],
                    unique=True, postgresql_nulls_not_distinct=True)
    op.create_table('hazard_report_area',
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=True),
    sa.Column('contam', sa.String(length=3), nullable=False),
    sa.Column('figure', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    )
    op.create_index(op.f('ix_hazard_report_area_hazard_id'), 'hazard_report_area',
                    ['hazard_id'], unique=False)
    op.create_index(op.f('ix_hazard_report_area_on'), 'hazard_report_area', ['on'],
                    unique=False)

    for function in (CHANGES_EXPECTED, CHANGES_BETWEEN, AREAS_EXPECTED, FORGET_AREAS,
                     REBUILD_AREAS, ENTRIES_ADDED, ENTRIES_REMOVED, ENTRIES_CHANGED, PIECES_ADDED,
                     PIECES_CHANGED, TRUNCATED):
        op.execute(function)
    for trigger in TRIGGERS:
        op.execute(trigger)
    # The ledger so far.
    op.execute(
        "INSERT INTO hazard_report_area (hazard_id, level, admin_id, contam, figure, code, "
        '"on", value) SELECT * FROM ims_report_areas_expected()'
    )
    op.execute(
        "INSERT INTO report_change (level, admin_id, contam, figure, code, year, value, "
        "records) SELECT * FROM ims_report_changes_expected()"
    )
    # planned with statistics from the first report on, not once autovacuum comes by
    op.execute(f"ANALYZE {', '.join(REPORT_STATE)}")
    op.execute(_grants(report=True))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them (the ledger itself is untouched)."""
    for table, trigger in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in reversed(REPORT_FUNCTIONS + REPORT_READ_FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute(_grants(report=False))
    op.drop_index(op.f('ix_hazard_report_area_on'), table_name='hazard_report_area')
    op.drop_index(op.f('ix_hazard_report_area_hazard_id'), table_name='hazard_report_area')
    op.drop_table('hazard_report_area')
    op.drop_index('ux_report_change', table_name='report_change',
                  postgresql_nulls_not_distinct=True)
    op.drop_table('report_change')
    op.execute("SELECT ims_grant_app_role()")
