"""database roles: a login for the application, derived tables written by the owner

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 13:49:40.877788

Security issue 13 (items 8 and 9); docs/decisions/0001-database-roles-and-derived-tables.md.

- ``ims_app`` becomes a LOGIN role (where the migrating user may alter roles) that owns
  nothing, so the application logs in as it and cannot ``RESET ROLE`` out of it.
- ``ims_app`` may only insert into the records of history, the audit trail, ``hazard`` and
  ``report_run``, and only read the derived tables (ledger, remaining geometry, overlaps).
  Those are written by SECURITY DEFINER functions owned by the owner: the application
  stages the rows it computed in session temporary tables and ``ims_ledger_store`` moves
  them in after checking that they describe exactly the hazards' own revisions and
  releases; ``ims_refresh_overlaps`` computes the overlaps itself.
- Every report_run row has the audit event that records it (``ims db verify`` checks).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
# ims_app may add rows to these, never change or remove one.
INSERT_ONLY = (*APPEND_ONLY, 'hazard', 'report_run')
# Derived from the records: ims_app reads them; the owner's functions write them.
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
READ_ONLY = (*DERIVED, 'alembic_version', 'spatial_ref_sys')
# The functions ims_app calls to have the derived tables written.
APP_FUNCTIONS = ('ims_ledger_stage()', 'ims_ledger_store(integer[], boolean)',
                 'ims_refresh_overlaps(integer[])')
OWNER_FUNCTIONS = ('ims_grant_app_role()',)

GRANTS = f"""
    CREATE OR REPLACE FUNCTION ims_grant_app_role() RETURNS void LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        -- EXECUTE is PUBLIC's by default, and a restore without privileges resets it.
        REVOKE ALL ON FUNCTION {", ".join(APP_FUNCTIONS + OWNER_FUNCTIONS)} FROM PUBLIC;
        -- Nobody but the owner makes objects in the schema (PostgreSQL before 15 let all).
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            RETURN;
        END IF;
        GRANT USAGE ON SCHEMA public TO {APP_ROLE};
        REVOKE CREATE ON SCHEMA public FROM {APP_ROLE};
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE};
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
        REVOKE UPDATE, DELETE ON {", ".join(INSERT_ONLY)} FROM {APP_ROLE};
        REVOKE INSERT, UPDATE, DELETE ON {", ".join(READ_ONLY)} FROM {APP_ROLE};
        GRANT EXECUTE ON FUNCTION {", ".join(APP_FUNCTIONS)} TO {APP_ROLE};
    END $$
"""

# The grants of revision 0008, for the downgrade.
GRANTS_0008 = f"""
    CREATE OR REPLACE FUNCTION ims_grant_app_role() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            RETURN;
        END IF;
        GRANT USAGE ON SCHEMA public TO {APP_ROLE};
        GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public
            TO {APP_ROLE};
        GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
        REVOKE UPDATE, DELETE, TRUNCATE ON {", ".join(APPEND_ONLY)} FROM {APP_ROLE};
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {APP_ROLE};
    END $$
"""

# Staging tables: session-temporary, made by the owner (so ims_app cannot hang a trigger or
# a rule on them that would run as the owner), ims_app may only insert into them.
LEDGER_STAGE = f"""
    CREATE FUNCTION ims_ledger_stage() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        IF to_regclass('pg_temp.ims_stage_entry') IS NOT NULL THEN
            RETURN;  -- made earlier in this session (ims_ledger_store checks whose they are)
        END IF;
        CREATE TEMP TABLE ims_stage_entry (
            hazard_id integer NOT NULL, entry_no integer NOT NULL, kind varchar(16) NOT NULL,
            "on" date NOT NULL, seq bigint NOT NULL, revision_id integer, release_id integer,
            status_after varchar(3), delta_m2 double precision NOT NULL,
            remaining_after_m2 double precision NOT NULL, outside_m2 double precision NOT NULL,
            count_admin1_id integer, count_admin2_id integer, items_admin1_id integer,
            items_admin2_id integer
        ) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE ims_stage_piece (
            hazard_id integer NOT NULL, entry_no integer NOT NULL, level smallint NOT NULL,
            admin_id integer, area_m2 double precision NOT NULL
        ) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE ims_stage_remaining (
            hazard_id integer NOT NULL, geom public.geometry(MultiPolygon, 4326),
            status varchar(16), remaining_m2 double precision, area_m2 double precision
        ) ON COMMIT DELETE ROWS;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            GRANT INSERT ON pg_temp.ims_stage_entry, pg_temp.ims_stage_piece,
                pg_temp.ims_stage_remaining TO {APP_ROLE};
        END IF;
    END $$
"""

# Moves the staged rows of ``hazard_ids`` in: all of their ledger (append = false) or
# releases appended after their last entry (append = true). The rows must describe exactly
# the hazards' own revisions and releases (which ones, their dates and order, each once);
# their areas are what the application computed, which `ims db verify` recomputes.
LEDGER_STORE = """
    CREATE FUNCTION ims_ledger_store(hazard_ids integer[], append boolean DEFAULT false)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        problem text;
    BEGIN
        IF (SELECT count(*) FROM pg_class c
            WHERE c.oid IN (to_regclass('pg_temp.ims_stage_entry'),
                            to_regclass('pg_temp.ims_stage_piece'),
                            to_regclass('pg_temp.ims_stage_remaining'))
              AND c.relkind = 'r' AND c.relnamespace = pg_my_temp_schema()
              AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
              AND NOT c.relhastriggers AND NOT c.relhasrules) <> 3 THEN
            RAISE EXCEPTION 'ims_ledger_store: stage the rows in the tables ims_ledger_stage() makes'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- Temporary tables have no statistics until analysed: without them the checks
        -- below would be planned as nested loops over the whole staging tables.
        ANALYZE pg_temp.ims_stage_entry, pg_temp.ims_stage_piece;

        SELECT format('hazard id %s is not among the hazards stored', s.hazard_id) INTO problem
        FROM (SELECT hazard_id FROM pg_temp.ims_stage_entry
              UNION ALL SELECT hazard_id FROM pg_temp.ims_stage_remaining) s
        WHERE NOT EXISTS (SELECT 1 FROM unnest(hazard_ids) i(id) WHERE i.id = s.hazard_id)
       ;

        IF problem IS NULL THEN
            SELECT format('hazard id %s entry %s does not match its %s', e.hazard_id,
                          e.entry_no, CASE WHEN e.kind IN ('added', 'status')
                                           THEN 'revision' ELSE 'release' END) INTO problem
            FROM pg_temp.ims_stage_entry e
            LEFT JOIN public.release r ON r.id = e.release_id
            LEFT JOIN public.hazard_revision v ON v.id = e.revision_id
            WHERE CASE WHEN e.kind IN ('added', 'status') THEN
                      append OR e.release_id IS NOT NULL OR v.id IS NULL
                      OR v.hazard_id <> e.hazard_id OR v.seq <> e.seq OR v.effective <> e."on"
                  ELSE
                      r.id IS NULL OR r.hazard_id <> e.hazard_id OR r.method <> e.kind
                      OR r.seq <> e.seq OR r.released <> e."on"
                      OR (e.revision_id IS NOT NULL
                          AND (v.id IS NULL OR v.hazard_id <> e.hazard_id))
                  END;
        END IF;

        IF problem IS NULL THEN
            SELECT format('release id %s has more than one entry', d.release_id) INTO problem
            FROM (SELECT release_id FROM pg_temp.ims_stage_entry WHERE release_id IS NOT NULL
                  GROUP BY release_id HAVING count(*) > 1) d;
        END IF;
        IF problem IS NULL THEN
            SELECT format('revision id %s has more than one entry', d.revision_id) INTO problem
            FROM (SELECT revision_id FROM pg_temp.ims_stage_entry
                  WHERE kind IN ('added', 'status')
                  GROUP BY revision_id HAVING count(*) > 1) d;
        END IF;
        IF problem IS NULL AND append THEN
            SELECT format('hazard id %s entry %s is not after its ledger', e.hazard_id,
                          e.entry_no) INTO problem
            FROM pg_temp.ims_stage_entry e
            WHERE e.entry_no <= (SELECT max(l.entry_no) FROM public.ledger_entry l
                                 WHERE l.hazard_id = e.hazard_id)
               OR EXISTS (SELECT 1 FROM public.ledger_entry l WHERE l.release_id = e.release_id);
        END IF;
        IF problem IS NULL THEN
            -- Every revision and release of each hazard has its entry, once (counted per
            -- hazard in one pass each: no lookup per hazard).
            WITH ids AS (SELECT DISTINCT unnest(hazard_ids) AS hazard_id),
            records AS (
                SELECT x.hazard_id, count(*) AS n FROM (
                    SELECT v.hazard_id FROM public.hazard_revision v
                    WHERE v.hazard_id = ANY (hazard_ids)
                    UNION ALL
                    SELECT r.hazard_id FROM public.release r WHERE r.hazard_id = ANY (hazard_ids)
                ) x GROUP BY x.hazard_id),
            staged AS (SELECT e.hazard_id, count(*) AS n FROM pg_temp.ims_stage_entry e
                       GROUP BY e.hazard_id),
            stored AS (SELECT l.hazard_id, count(*) AS n FROM public.ledger_entry l
                       WHERE append AND l.hazard_id = ANY (hazard_ids) GROUP BY l.hazard_id)
            SELECT format('hazard id %s: %s ledger entries for %s revisions and releases',
                          ids.hazard_id, coalesce(staged.n, 0) + coalesce(stored.n, 0),
                          coalesce(records.n, 0)) INTO problem
            FROM ids
            LEFT JOIN records ON records.hazard_id = ids.hazard_id
            LEFT JOIN staged ON staged.hazard_id = ids.hazard_id
            LEFT JOIN stored ON stored.hazard_id = ids.hazard_id
            WHERE coalesce(records.n, 0) <> coalesce(staged.n, 0) + coalesce(stored.n, 0);
        END IF;
        IF problem IS NULL THEN
            SELECT format('hazard id %s: a piece of entry %s, which is not stored with it',
                          p.hazard_id, p.entry_no) INTO problem
            FROM pg_temp.ims_stage_piece p
            WHERE NOT EXISTS (SELECT 1 FROM pg_temp.ims_stage_entry e
                              WHERE e.hazard_id = p.hazard_id AND e.entry_no = p.entry_no);
        END IF;
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION 'ims_ledger_store refused the rows: %', problem
                USING ERRCODE = 'check_violation';
        END IF;

        IF NOT append THEN
            DELETE FROM public.ledger_entry WHERE hazard_id = ANY (hazard_ids);  -- and pieces
        END IF;
        DELETE FROM public.hazard_remaining WHERE hazard_id = ANY (hazard_ids);
        INSERT INTO public.ledger_entry (hazard_id, entry_no, kind, "on", seq, revision_id,
            release_id, status_after, delta_m2, remaining_after_m2, outside_m2,
            count_admin1_id, count_admin2_id, items_admin1_id, items_admin2_id)
        SELECT hazard_id, entry_no, kind, "on", seq, revision_id, release_id, status_after,
            delta_m2, remaining_after_m2, outside_m2, count_admin1_id, count_admin2_id,
            items_admin1_id, items_admin2_id
        FROM pg_temp.ims_stage_entry;
        INSERT INTO public.ledger_piece (hazard_id, entry_no, level, admin_id, area_m2)
        SELECT hazard_id, entry_no, level, admin_id, area_m2 FROM pg_temp.ims_stage_piece;
        INSERT INTO public.hazard_remaining (hazard_id, geom, status, remaining_m2, area_m2)
        SELECT hazard_id, geom, status, remaining_m2, area_m2 FROM pg_temp.ims_stage_remaining;
        TRUNCATE pg_temp.ims_stage_entry, pg_temp.ims_stage_piece, pg_temp.ims_stage_remaining;
    END $$
"""

# Pairs of hazards whose boundaries (in any revision) share ground, both ways round.
OVERLAPS = """
    CREATE FUNCTION ims_overlap_pairs(hazard_ids integer[])
    RETURNS TABLE (hazard_id integer, other_id integer) LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        IF hazard_ids IS NULL THEN
            RETURN QUERY SELECT DISTINCT v.x, v.y FROM (
                SELECT a.hazard_id AS h1, b.hazard_id AS h2 FROM public.hazard_revision a
                JOIN public.hazard_revision b ON a.hazard_id <> b.hazard_id
                 AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
            ) pairs, LATERAL (VALUES (pairs.h1, pairs.h2), (pairs.h2, pairs.h1)) v(x, y);
        ELSE
            RETURN QUERY SELECT DISTINCT v.x, v.y FROM (
                SELECT a.hazard_id AS h1, b.hazard_id AS h2 FROM public.hazard_revision a
                JOIN public.hazard_revision b ON a.hazard_id <> b.hazard_id
                 AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
                WHERE a.hazard_id = ANY (hazard_ids)
            ) pairs, LATERAL (VALUES (pairs.h1, pairs.h2), (pairs.h2, pairs.h1)) v(x, y);
        END IF;
    END $$;

    CREATE FUNCTION ims_refresh_overlaps(hazard_ids integer[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        IF hazard_ids IS NULL THEN
            DELETE FROM public.hazard_overlap;
        ELSE
            DELETE FROM public.hazard_overlap
            WHERE hazard_id = ANY (hazard_ids) OR other_id = ANY (hazard_ids);
        END IF;
        INSERT INTO public.hazard_overlap (hazard_id, other_id)
        SELECT p.hazard_id, p.other_id FROM ims_overlap_pairs(hazard_ids) p
        ON CONFLICT DO NOTHING;
    END $$
"""


def upgrade() -> None:
    """ims_app logs in and only adds records; the owner's functions write derived data."""
    # ims_app: a login that owns nothing and holds no attribute beyond LOGIN.
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                RETURN;  -- no role could be made: ims works as the login user (README)
            END IF;
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}' AND (rolsuper
                       OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)) THEN
                RAISE EXCEPTION 'role {APP_ROLE} holds superuser, createrole, createdb, '
                    'replication or bypassrls: ALTER ROLE {APP_ROLE} NOSUPERUSER NOCREATEROLE '
                    'NOCREATEDB NOREPLICATION NOBYPASSRLS, then migrate again';
            END IF;
            IF EXISTS (SELECT 1 FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
                       WHERE d.datname = current_database() AND r.rolname = '{APP_ROLE}')
               OR EXISTS (SELECT 1 FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
                          WHERE r.rolname = '{APP_ROLE}'
                            AND c.relnamespace <> ALL (SELECT oid FROM pg_namespace
                                                       WHERE nspname LIKE 'pg_temp%'))
               OR EXISTS (SELECT 1 FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
                          WHERE r.rolname = '{APP_ROLE}'
                            AND p.pronamespace <> ALL (SELECT oid FROM pg_namespace
                                                       WHERE nspname LIKE 'pg_temp%'))
               OR EXISTS (SELECT 1 FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
                          WHERE r.rolname = '{APP_ROLE}') THEN
                RAISE EXCEPTION 'role {APP_ROLE} owns this database or objects in it; it must '
                    'own nothing (it could drop or alter them): give them to the owner '
                    '(REASSIGN OWNED BY {APP_ROLE} TO <owner>), then migrate again';
            END IF;
            BEGIN
                -- Only when needed: the role is the cluster's, and two databases migrated
                -- at once would otherwise update it together ("tuple concurrently updated").
                IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                    ALTER ROLE {APP_ROLE} LOGIN;
                END IF;
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE NOTICE 'cannot make {APP_ROLE} a login role: ims works as its owner login '
                    'with SET ROLE {APP_ROLE} until an administrator runs ALTER ROLE {APP_ROLE} LOGIN';
            END;
        END $$
    """)

    op.execute(LEDGER_STAGE)
    op.execute(LEDGER_STORE)
    op.execute(OVERLAPS)

    # Every report_run row gets the audit event that records it (verified by ims db verify).
    op.execute("""
        INSERT INTO audit_event (actor, action, object_type, object_id, after)
        SELECT 'migration 0009', 'report.first_produced', 'report_run', r.id::text,
               jsonb_build_object('kind', r.kind, 'params', r.params, 'stamp', r.stamp,
                                  'totals', r.totals, 'produced_by', r.produced_by)
        FROM report_run r
        WHERE NOT EXISTS (SELECT 1 FROM audit_event e WHERE e.object_type = 'report_run'
                          AND e.object_id = r.id::text)
        ORDER BY r.id
    """)
    op.execute(GRANTS)
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Back to 0008's grants (ims_app stays a login: other databases may use it)."""
    for function in ('ims_refresh_overlaps(integer[])', 'ims_overlap_pairs(integer[])',
                     'ims_ledger_store(integer[], boolean)', 'ims_ledger_stage()'):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute(f"""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE};
                REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE};
            END IF;
        END $$
    """)
    op.execute(GRANTS_0008)
    op.execute("SELECT ims_grant_app_role()")
