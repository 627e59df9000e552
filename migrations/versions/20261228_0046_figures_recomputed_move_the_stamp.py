"""ledgers computed again from their records move the data's stamp

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-28 10:00:00

An overlay of GEOS had given a release the whole of its polygon where the remaining ground
lost none of it, and the ledger stored a change the remaining area did not make (an
attack on the figures: Article 7 counted 4,997 m² released twice). The ledger no longer
trusts that overlay, and ``ims db recompute`` (which ``ims db migrate`` runs for the
hazards whose entries do not add up) computes ledgers again from their records. Nothing
is recorded by that, so the data's stamp (``recording_version``, migration 0026), by
which ``ims serve`` knows its kept answers are stale, would not move: the owner's
function here moves it, and the application may call it (granted again by
``ims_grant_app_role``, as a restore needs).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0046'
down_revision: str | None = '0045'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
INSERT_ONLY = (*APPEND_ONLY, 'hazard', 'report_run', 'outside_release',
               'outside_release_conversion', 'release_withdrawal', 'hazard_withdrawal',
               'outside_release_withdrawal')
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
MAP_STATE = ('hazard_period', 'hazard_admin1_area', 'hazard_admin1_count', 'admin1_change')
REPORT_STATE = ('report_change', 'hazard_report_area')
READ_ONLY = (*DERIVED, *MAP_STATE, *REPORT_STATE, 'alembic_version', 'spatial_ref_sys',
             'recording_version', 'release_in_force', 'hazard_in_force',
             'hazard_revision_in_force', 'outside_release_in_force', 'outside_release_counted')
APP_FUNCTIONS_0045 = ('ims_ledger_stage()', 'ims_ledger_store(integer[], boolean)',
                 'ims_refresh_overlaps(integer[])',
                 'ims_report_changes_between(date, date, smallint, varchar)',
                 'ims_report_changes_expected()', 'ims_report_areas_expected()',
                 'ims_analyze_recorded()', 'ims_analyze_staged()')
APP_FUNCTIONS = (*APP_FUNCTIONS_0045, 'ims_figures_recomputed()')
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


RECOMPUTED = """
    CREATE FUNCTION ims_figures_recomputed() RETURNS void LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp AS $$
        UPDATE public.recording_version SET version = nextval('public.recording_seq')
    $$
"""


def upgrade() -> None:
    """The function, and the application's right to call it."""
    op.execute(RECOMPUTED)
    op.execute(_grants(APP_FUNCTIONS))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Without it."""
    op.execute(_grants(APP_FUNCTIONS_0045))
    op.execute("SELECT ims_grant_app_role()")
    op.execute("DROP FUNCTION ims_figures_recomputed()")
