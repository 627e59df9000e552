"""land released outside hazards recorded in error can be withdrawn, and is kept

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-20 10:00:00

A record of land released outside recorded hazards approved by mistake (a clearance sent
twice, a polygon typed wrong, ground that belonged to another file) counted in Form 1(i)
for ever: the records are insert-only, and the only thing a reviewer could do with one was
to make it a hazard. ``outside_release_withdrawal`` notes that a reviewer withdrew one, why
and when, under a recording number (``seq``) like a release withdrawal's, so that a report
finalised before lists it as a correction. The record is not changed or removed.

``outside_release_in_force`` is every such record but those withdrawn: the report's Form
1(i), its explanation and the map read it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0042'
down_revision: str | None = '0041'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
INSERT_ONLY_0041 = (*APPEND_ONLY, 'hazard', 'report_run', 'outside_release',
                    'outside_release_conversion', 'release_withdrawal', 'hazard_withdrawal')
INSERT_ONLY = (*INSERT_ONLY_0041, 'outside_release_withdrawal')
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
MAP_STATE = ('hazard_period', 'hazard_admin1_area', 'hazard_admin1_count', 'admin1_change')
REPORT_STATE = ('report_change', 'hazard_report_area')
READ_ONLY_0041 = (*DERIVED, *MAP_STATE, *REPORT_STATE, 'alembic_version', 'spatial_ref_sys',
                  'recording_version', 'release_in_force', 'hazard_in_force',
                  'hazard_revision_in_force')
READ_ONLY = (*READ_ONLY_0041, 'outside_release_in_force')
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


def _grants(insert_only: tuple[str, ...], read_only: tuple[str, ...]) -> str:
    return _GRANT_BODY.format(
        functions=", ".join(APP_FUNCTIONS + OWNED), app=APP_ROLE,
        insert_only=", ".join(insert_only), read_only=", ".join(read_only),
        app_functions=", ".join(APP_FUNCTIONS))


IN_FORCE = """
    CREATE VIEW outside_release_in_force AS
    SELECT o.* FROM outside_release o
    WHERE NOT EXISTS (SELECT 1 FROM outside_release_withdrawal w
                      WHERE w.outside_release_id = o.id)
"""


def upgrade() -> None:
    """The table, the view, the triggers that keep it and count it, the grants."""
    op.create_table(
        'outside_release_withdrawal',
        sa.Column('outside_release_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), server_default=sa.text("nextval('recording_seq')"),
                  nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('withdrawn_by', sa.String(length=200), nullable=True),
        sa.CheckConstraint('length(btrim(reason)) > 0',
                           name=op.f('ck_outside_release_withdrawal_reason')),
        # the name SQLAlchemy gives it, shortened to PostgreSQL's 63 characters
        sa.ForeignKeyConstraint(
            ['outside_release_id'], ['outside_release.id'],
            name=op.f('fk_outside_release_withdrawal_outside_release_id_outsid_e4f0')),
        sa.PrimaryKeyConstraint('outside_release_id',
                                name=op.f('pk_outside_release_withdrawal')),
        sa.UniqueConstraint('seq', name=op.f('uq_outside_release_withdrawal_seq')),
    )
    op.execute("CREATE TRIGGER outside_release_withdrawal_append_only BEFORE UPDATE OR DELETE "
               "ON outside_release_withdrawal FOR EACH ROW EXECUTE FUNCTION ims_append_only()")
    op.execute("CREATE TRIGGER outside_release_withdrawal_counted AFTER INSERT OR UPDATE OR "
               "DELETE OR TRUNCATE ON outside_release_withdrawal FOR EACH STATEMENT "
               "EXECUTE FUNCTION ims_recording_counted()")
    op.execute(IN_FORCE)
    op.execute(_grants(INSERT_ONLY, READ_ONLY))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them; refused while a record is withdrawn (it would count again unseen)."""
    withdrawn = op.get_bind().scalar(sa.text("SELECT count(*) FROM outside_release_withdrawal"))
    if withdrawn:
        raise RuntimeError(
            f"records of land released outside hazards withdrawn: {withdrawn}. A database "
            "that holds them cannot go back before revision 0042"
        )
    op.execute(_grants(INSERT_ONLY_0041, READ_ONLY_0041))
    op.execute("DROP VIEW outside_release_in_force")
    op.drop_table('outside_release_withdrawal')
    op.execute("SELECT ims_grant_app_role()")
