"""statistics of a large staged upload, refreshed as it is staged

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 17:00:00

Issue 15 (national scale). The upload page sends the reviewer straight to a staged
file's review page, whose map reads the staged features joined to their findings. Right
after a national file (142,695 features) was staged, the planner's statistics of
``submission_feature`` and ``finding`` still described the tables before it: it joined
each feature to the findings grouped again (159 million rows compared), and a zoom-6
tile of the review map took 26.6 s instead of 0.3 s, for the minute or so until
autovacuum analysed the tables. ``ims_analyze_staged()`` (the owner's, SECURITY DEFINER,
pinned search_path; as ``ims_analyze_recorded`` in 0022) analyses the columns those
queries filter and join on, and the application calls it after staging many features.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
COUNTED = ('hazard_revision', 'release', 'outside_release')
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
INSERT_ONLY = (*APPEND_ONLY, 'hazard', 'report_run', 'outside_release',
               'outside_release_conversion')
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
MAP_STATE = ('hazard_period', 'hazard_admin1_area', 'hazard_admin1_count', 'admin1_change')
REPORT_STATE = ('report_change', 'hazard_report_area')
READ_ONLY = (*DERIVED, *MAP_STATE, *REPORT_STATE, 'alembic_version', 'spatial_ref_sys',
             'recording_version')
APP_FUNCTIONS_0026 = ('ims_ledger_stage()', 'ims_ledger_store(integer[], boolean)',
                 'ims_refresh_overlaps(integer[])',
                 'ims_report_changes_between(date, date, smallint, varchar)',
                 'ims_report_changes_expected()', 'ims_report_areas_expected()',
                 'ims_analyze_recorded()')
APP_FUNCTIONS = (*APP_FUNCTIONS_0026, 'ims_analyze_staged()')
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
OWNED = (*OWNER_FUNCTIONS, *MAP_FUNCTIONS, *REPORT_FUNCTIONS, 'ims_recording_counted()')

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


ANALYZE_STAGED = """
    CREATE FUNCTION ims_analyze_staged() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        -- The columns the review's map, lists and approval filter and join on (not the
        -- geometries and records, whose statistics take most of an ANALYZE).
        ANALYZE public.submission_feature (submission_id, row_number);
        ANALYZE public.finding (submission_id, row_number, severity, code);
    END $$
"""


def upgrade() -> None:
    """The function, and the application's right to call it."""
    op.execute(ANALYZE_STAGED)
    op.execute(_grants(APP_FUNCTIONS))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop it; the grants as revision 0026 left them."""
    op.execute(_grants(APP_FUNCTIONS_0026))
    op.execute("DROP FUNCTION IF EXISTS ims_analyze_staged()")
    op.execute("SELECT ims_grant_app_role()")
