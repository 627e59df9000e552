"""a hazard closed twice in a year counts once in that year's Form 1(i)

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-24 10:00:00

Form 1(i) gives the number of hazards fully released (closed) in the year. The report's
changes counted every release that took a hazard below a square metre, so a hazard cleared
whole, given ground again by a boundary revision and cleared again in the same year was
two hazards closed (found by an attack on the figures, against an independent count). A
release that closes a hazard now counts only if no release closed it earlier in the same
calendar year: a hazard counts once in a year's Form 1(i), in the year's first closing
(where that release's hazard is counted), and again in a later year only if it is closed
again then. A period of days within a year counts a hazard closed in it unless it had
been closed earlier that year, so the days of a year add up to the year.

The report functions that sum the entries are replaced (``entry_changes`` keeps its own
copy here, as migrations do), and the hazards-closed changes counted afresh from the
ledger. ``ims db verify`` compares them as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0044'
down_revision: str | None = '0043'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_M2 = '1.0'  # ims.domain.figures.OPEN_THRESHOLD_M2
RELEASE_KINDS = "('cancelled', 'reduced', 'cleared')"
# replaced CREATE OR REPLACE: their settings (migration 0022) are set again
PRICED_FOR_MEMORY = ('ims_report_entries_added()', 'ims_report_entries_removed()',
                     'ims_report_entries_changed()')


def entry_changes(entries: str, sign: str = '1',
                  levels: str = '(VALUES (1::smallint), (2::smallint))', *,
                  once_a_year: bool = True, as_stored: bool = True) -> str:
    """The changes of the figures that follow from ledger entries alone, as rows of
    (level, admin_id, contam, figure, code, "on", value, records), for the caller to sum.

    ``entries``: ledger_entry rows of some hazards, in full from some entry on, with a
    column ``counted``: the entries whose changes are wanted (those before them only say
    what held before). A hazard's state after an entry is open or not, its status, where
    it is counted and its revision in force; where it changes, what the state gave ends
    (-) and what it gives begins (+). Closing releases and destroyed items are changes of
    their own. ``levels``: the admin levels wanted (a relation of one column).

    ``once_a_year``: a closing release counts unless the hazard was closed earlier in the
    same calendar year: by an entry before it in ``entries``, or, where ``entries`` are the
    ledger as stored (``as_stored``: not a ledger as it was before a change, whose earlier
    entries the table no longer holds), by one stored before them.
    """
    closing = (f"kind IN {RELEASE_KINDS} AND remaining_after_m2 < {OPEN_M2} "
               f"AND remaining_after_m2 - delta_m2 >= {OPEN_M2}")
    once = ""
    if once_a_year:
        once = ('AND closed_in IS DISTINCT FROM extract(year FROM m."on") '
                if not as_stored else
                'AND closed_in IS DISTINCT FROM extract(year FROM m."on") '
                'AND NOT EXISTS (SELECT 1 FROM public.ledger_entry o '
                'WHERE o.hazard_id = m.hazard_id AND o.entry_no < m.entry_no '
                'AND o."on" >= date_trunc(\'year\', m."on")::date '
                f'AND o.{closing.replace(" AND ", " AND o.")})')
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
                   lag(e.revision_id) OVER w AS before_revision,
                   -- the year of the last closing before (entries are in date order)
                   max(CASE WHEN e.closing THEN extract(year FROM e."on") END)
                       OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS closed_in
            FROM (SELECT x.*, (x.status_after IS NOT NULL AND x.remaining_after_m2 >= {OPEN_M2})
                             AS open,
                         coalesce(x.{closing.replace(" AND ", " AND x.")}, false) AS closing
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
        SELECT m.hazard_id, m."on", m.count_admin1_id, m.count_admin2_id, 'closed', '', 1, 0
        FROM moved m
        WHERE m.closing {once}
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


def statements(*, once_a_year: bool) -> list[str]:
    """The report functions that sum ledger entries, counting a hazard closed once a
    year (``once_a_year``) or at each release that closes it (migration 0021)."""

    def changes(entries: str, sign: str = '1', *, as_stored: bool = True,
                levels: str = '(VALUES (1::smallint), (2::smallint))') -> str:
        return entry_changes(entries, sign, levels, once_a_year=once_a_year,
                             as_stored=as_stored)

    changes_expected = f"""
        CREATE OR REPLACE FUNCTION ims_report_changes_expected()
        RETURNS TABLE (level smallint, admin_id integer, contam varchar, figure varchar,
                       code varchar, year smallint, value double precision, records integer)
        LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
            SELECT d.level, d.admin_id, d.contam, d.figure, d.code,
                   extract(year FROM d."on")::smallint, sum(d.value), sum(d.records)::integer
            FROM (
                {changes("(SELECT l.*, true AS counted FROM public.ledger_entry l)")}
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
    changes_between = f"""
        CREATE OR REPLACE FUNCTION ims_report_changes_between(
            from_day date, to_day date, at_level smallint, of_contam varchar)
        RETURNS TABLE (admin_id integer, figure varchar, code varchar, "on" date,
                       value double precision, records integer)
        LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
            SELECT admin_id, figure, code, "on", value, records::integer FROM (
                {changes('''(
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

    # Entries added after a hazard's last one (as approvals add them, or all of a ledger after
    # it was deleted): their changes, from the first new one. A status that changes on or
    # after the date of the last entry before them moves the area held so far (the pieces
    # already stored; the new entries' pieces follow, and the pieces trigger counts them under
    # the statuses of the whole ledger). Entries added anywhere else: what the hazard's
    # entries gave before is taken back and what they give now is added.
    entries_added = f"""
        CREATE OR REPLACE FUNCTION ims_report_entries_added() RETURNS trigger
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
                {add_changes(changes(
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
                    changes(
                        '''(SELECT l.*, true AS counted FROM public.ledger_entry l
                            WHERE l.hazard_id = ANY (others) AND NOT EXISTS (
                                SELECT 1 FROM new_entries n
                                WHERE n.hazard_id = l.hazard_id AND n.entry_no = l.entry_no))''',
                        '-1', as_stored=False)
                    + ' UNION ALL ' + changes(CURRENT.format(ids='others')))};
                PERFORM public.ims_report_rebuild_areas(others);
            END IF;
            RETURN NULL;
        END $$
    """

    entries_removed = f"""
        CREATE OR REPLACE FUNCTION ims_report_entries_removed() RETURNS trigger
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
                {add_changes(changes(
                    "(SELECT o.*, true AS counted FROM old_entries o)", '-1', as_stored=False))};
                PERFORM public.ims_report_forget_areas(ids);
                RETURN NULL;
            END IF;
            {add_changes(
                changes(
                    '''(SELECT x.*, true AS counted FROM (
                            SELECT * FROM public.ledger_entry l WHERE l.hazard_id = ANY (ids)
                            UNION ALL SELECT * FROM old_entries) x)''',
                    '-1', as_stored=False)
                + ' UNION ALL ' + changes(CURRENT.format(ids='ids')))};
            PERFORM public.ims_report_rebuild_areas(ids);
            RETURN NULL;
        END $$
    """

    entries_changed = f"""
        CREATE OR REPLACE FUNCTION ims_report_entries_changed() RETURNS trigger
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
                changes(
                    '''(SELECT x.*, true AS counted FROM (
                            SELECT * FROM public.ledger_entry l WHERE l.hazard_id = ANY (ids)
                            AND NOT EXISTS (SELECT 1 FROM new_entries n WHERE
                                            n.hazard_id = l.hazard_id AND n.entry_no = l.entry_no)
                            UNION ALL SELECT * FROM old_entries) x)''',
                    '-1', as_stored=False)
                + ' UNION ALL ' + changes(CURRENT.format(ids='ids')))};
            PERFORM public.ims_report_rebuild_areas(ids);
            RETURN NULL;
        END $$
    """
    return [changes_expected, changes_between, entries_added, entries_removed,
            entries_changed]


def _count_closed_again() -> None:
    """The hazards-closed changes as the ledger gives them now."""
    op.execute("DELETE FROM report_change WHERE figure = 'closed'")
    op.execute(
        "INSERT INTO report_change (level, admin_id, contam, figure, code, year, value, "
        "records) SELECT * FROM ims_report_changes_expected() WHERE figure = 'closed'"
    )


def upgrade() -> None:
    """Each hazard closed once a year; the kept changes counted again."""
    for statement in statements(once_a_year=True):
        op.execute(statement)
    for function in PRICED_FOR_MEMORY:
        op.execute(f"ALTER FUNCTION {function} SET random_page_cost = 1.1")
    _count_closed_again()


def downgrade() -> None:
    """Every closing release counted, as before."""
    for statement in statements(once_a_year=False):
        op.execute(statement)
    for function in PRICED_FOR_MEMORY:
        op.execute(f"ALTER FUNCTION {function} SET random_page_cost = 1.1")
    _count_closed_again()
