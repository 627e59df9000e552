"""a version of what is recorded, set as it is written, for the data's stamp

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 14:00:00

Issue 15 (national scale). Answers kept in memory (``ims.reports.kept``: figures, tiles,
reports) are keyed by a stamp of what they come from, read by every page and tile. Its
part for the records was the last recording number of revisions, releases and releases
outside hazards, read from the end of their ``seq`` indexes. While a national approval is
under way those indexes end in its uncommitted entries (306,000 for the releases file),
which every reader steps over: 0.15–0.35 s for each stamp instead of a millisecond, for
every page and tile asked for until the approval commits.

``recording_version`` holds one number, set by a statement trigger after anything is
written to ``hazard_revision``, ``release`` or ``outside_release``. A reader sees the last
committed number (one row); the transaction that records sees its own, so answers it
computes are kept under the number others see once it commits. The number is taken from
``recording_seq``, never counted up by one: a transaction rolled back after computing
answers under its number must not leave that number to the next one, whose records
differ. Approvals already record one at a time (their advisory lock), so holding the row
until commit makes no writer wait that did not wait before. The application may only
read the number.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
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
READ_ONLY_0025 = (*DERIVED, *MAP_STATE, *REPORT_STATE, 'alembic_version', 'spatial_ref_sys')
READ_ONLY = (*READ_ONLY_0025, 'recording_version')
APP_FUNCTIONS = ('ims_ledger_stage()', 'ims_ledger_store(integer[], boolean)',
                 'ims_refresh_overlaps(integer[])',
                 'ims_report_changes_between(date, date, smallint, varchar)',
                 'ims_report_changes_expected()', 'ims_report_areas_expected()',
                 'ims_analyze_recorded()')
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
OWNED_0025 = (*OWNER_FUNCTIONS, *MAP_FUNCTIONS, *REPORT_FUNCTIONS)
OWNED = (*OWNED_0025, 'ims_recording_counted()')

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


def _grants(owned: tuple[str, ...], read_only: tuple[str, ...]) -> str:
    return _GRANT_BODY.format(
        functions=", ".join(APP_FUNCTIONS + owned), app=APP_ROLE,
        insert_only=", ".join(INSERT_ONLY), read_only=", ".join(read_only),
        app_functions=", ".join(APP_FUNCTIONS))


COUNT = """
    CREATE FUNCTION ims_recording_counted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        UPDATE public.recording_version SET version = nextval('public.recording_seq');
        RETURN NULL;
    END $$
"""


def upgrade() -> None:
    """The table, its one row, the triggers that count, the application's right to read."""
    op.create_table(
        'recording_version',
        sa.Column('one', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('one', name=op.f('ck_recording_version_one')),
        sa.PrimaryKeyConstraint('one', name=op.f('pk_recording_version')),
    )
    op.execute(
        "INSERT INTO recording_version (one, version) VALUES (true, nextval('recording_seq'))"
    )
    op.execute(COUNT)
    for table in COUNTED:
        op.execute(
            f"CREATE TRIGGER {table}_counted AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION ims_recording_counted()"
        )
    op.execute(_grants(OWNED, READ_ONLY))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them; the grants as revision 0025 left them."""
    for table in COUNTED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_counted ON {table}")
    op.execute("DROP FUNCTION IF EXISTS ims_recording_counted()")
    op.drop_table('recording_version')
    op.execute(_grants(OWNED_0025, READ_ONLY_0025))
    op.execute("SELECT ims_grant_app_role()")
