"""land made into a hazard in error counts again once that hazard is withdrawn

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-22 10:00:00

A record of land released outside recorded hazards that a reviewer made into a hazard by
mistake could not be put back: the hazard and its release were withdrawn, and the record,
still marked as made into a hazard, counted nowhere, though the land had been released
all the same; it could be neither withdrawn nor made into a hazard again.

A record made into a hazard now stops counting apart only while that hazard is in force.
``outside_release_counted`` is every such record that Form 1(i) counts apart: not
withdrawn (``outside_release_in_force``), and not made into a hazard that is in force. The
report's Form 1(i), its explanation, the map and a submission's count read it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0043'
down_revision: str | None = '0042'
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
READ_ONLY_0042 = (*DERIVED, *MAP_STATE, *REPORT_STATE, 'alembic_version', 'spatial_ref_sys',
                  'recording_version', 'release_in_force', 'hazard_in_force',
                  'hazard_revision_in_force', 'outside_release_in_force')
READ_ONLY = (*READ_ONLY_0042, 'outside_release_counted')
APP_FUNCTIONS = ('ims_ledger_stage()', 'ims_ledger_store(integer[], boolean)',
                 'ims_refresh_overlaps(integer[])',
                 'ims_report_changes_between(date, date, smallint, varchar)',
                 'ims_report_changes_expected()', 'ims_report_areas_expected()',
                 'ims_analyze_recorded()', 'ims_analyze_staged()')
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


def _grants(read_only: tuple[str, ...]) -> str:
    return _GRANT_BODY.format(
        functions=", ".join(APP_FUNCTIONS + OWNED), app=APP_ROLE,
        insert_only=", ".join(INSERT_ONLY), read_only=", ".join(read_only),
        app_functions=", ".join(APP_FUNCTIONS))


COUNTED = """
    CREATE VIEW outside_release_counted AS
    SELECT o.* FROM outside_release_in_force o
    WHERE NOT EXISTS (SELECT 1 FROM outside_release_conversion c
                      WHERE c.outside_release_id = o.id
                      AND NOT EXISTS (SELECT 1 FROM hazard_withdrawal w
                                      WHERE w.hazard_id = c.hazard_id))
"""


def upgrade() -> None:
    """The view and its grants."""
    op.execute(COUNTED)
    op.execute(_grants(READ_ONLY))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop the view: records made into hazards since withdrawn count nowhere again."""
    op.execute(_grants(READ_ONLY_0042))
    op.execute("DROP VIEW outside_release_counted")
    op.execute("SELECT ims_grant_app_role()")
