"""statistics and index pricing for the ledger inside a national approval

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 14:00:00

Issue 15 (national scale). An approval records a national file and then computes the
ledger of its hazards in chunks, in the same transaction. The planner's statistics of
``release`` and ``hazard_revision`` still describe the tables before the file (often
empty: a first national load), so every chunk's "releases of these hazards" became a
sequential scan of the whole table (175 ms a chunk at 306,000 releases, inside and outside
``ims_ledger_store``). ANALYZE inside the transaction counts its own new rows; it is the
owner's to run, so ``ims_analyze_recorded()`` (SECURITY DEFINER, pinned search_path)
analyses the columns those lookups use, and the application may call it.

The functions that store a ledger and keep the map's state look up a chunk's hazards in
tables of hundreds of thousands of rows. Priced with PostgreSQL's default
random_page_cost (4, a spinning disk's), a hash join over the whole of ledger_entry looked
cheaper than an index lookup per hazard, and each chunk of an approval scanned it: the
larger the ledger, the slower each chunk. Their own setting, 1.1 (the tables are in memory
or on solid-state disks), has them use the indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
INSERT_ONLY = (*APPEND_ONLY, 'hazard', 'report_run', 'outside_release',
               'outside_release_conversion')
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
MAP_STATE = ('hazard_period', 'hazard_admin1_area', 'hazard_admin1_count', 'admin1_change')
REPORT_STATE = ('report_change', 'hazard_report_area')
READ_ONLY = (*DERIVED, *MAP_STATE, *REPORT_STATE, 'alembic_version', 'spatial_ref_sys')
APP_FUNCTIONS_0021 = ('ims_ledger_stage()', 'ims_ledger_store(integer[], boolean)',
                      'ims_refresh_overlaps(integer[])',
                      # read-only: the application may run them (ims db verify)
                      'ims_report_changes_between(date, date, smallint, varchar)',
                      'ims_report_changes_expected()', 'ims_report_areas_expected()')
APP_FUNCTIONS = (*APP_FUNCTIONS_0021, 'ims_analyze_recorded()')
OWNER_FUNCTIONS = ('ims_audit_seal()', 'ims_grant_app_role()')
MAP_FUNCTIONS = ('ims_map_follow(integer[], integer[])', 'ims_map_forget(integer[], boolean)',
                 'ims_map_areas_from(integer[])', 'ims_map_rebuild(integer[])',
                 'ims_map_pieces_added()', 'ims_map_pieces_changed()', 'ims_map_entries_added()',
                 'ims_map_entries_changed()', 'ims_map_truncated()')
REPORT_FUNCTIONS = ('ims_report_forget_areas(integer[])', 'ims_report_rebuild_areas(integer[])',
                    'ims_report_entries_added()', 'ims_report_entries_removed()',
                    'ims_report_entries_changed()',
                    'ims_report_pieces_added()', 'ims_report_pieces_changed()',
                    'ims_report_truncated()')
OWNED = (*OWNER_FUNCTIONS, *MAP_FUNCTIONS, *REPORT_FUNCTIONS)

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


def _grants(app_functions: tuple[str, ...]) -> str:
    return _GRANT_BODY.format(
        functions=", ".join(app_functions + OWNED), app=APP_ROLE,
        insert_only=", ".join(INSERT_ONLY), read_only=", ".join(READ_ONLY),
        app_functions=", ".join(app_functions))


ANALYZE_RECORDED = """
    CREATE FUNCTION ims_analyze_recorded() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        -- Only the columns the ledger's lookups filter on: a geometry column's statistics
        -- take most of an ANALYZE (1.5 s against 0.6 s for release at 306,000 rows).
        ANALYZE public.hazard_revision (hazard_id, submission_id);
        ANALYZE public.release (hazard_id, submission_id);
        ANALYZE public.ledger_entry (hazard_id, release_id, revision_id);
    END $$
"""


# Keep last: CREATE OR REPLACE FUNCTION in a later migration drops a function's settings.
PRICED_FOR_MEMORY = (*MAP_FUNCTIONS, *REPORT_FUNCTIONS, 'ims_ledger_store(integer[], boolean)',
                     'ims_refresh_overlaps(integer[])')


def upgrade() -> None:
    """The function, the application's right to call it, the ledger functions' pricing."""
    op.execute(ANALYZE_RECORDED)
    op.execute(_grants(APP_FUNCTIONS))
    op.execute("SELECT ims_grant_app_role()")
    for function in PRICED_FOR_MEMORY:
        op.execute(f"ALTER FUNCTION {function} SET random_page_cost = 1.1")


def downgrade() -> None:
    """Drop it; the functions priced as before."""
    for function in PRICED_FOR_MEMORY:
        op.execute(f"ALTER FUNCTION {function} RESET random_page_cost")
    op.execute(_grants(APP_FUNCTIONS_0021))
    op.execute("DROP FUNCTION IF EXISTS ims_analyze_recorded()")
    op.execute("SELECT ims_grant_app_role()")
