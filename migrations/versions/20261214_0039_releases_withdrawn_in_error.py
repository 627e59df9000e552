"""an approved release recorded in error can be withdrawn, and is kept

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-14 10:00:00

Releases are append-only: a release approved by mistake (a duplicate under a second
reference, the wrong hazard, a polygon typed wrong) counted for ever, its items in Form
1(i) and its ground released. ``release_withdrawal`` notes that a reviewer withdrew one,
why, and when, under a recording number (``seq``) like the records' own, so that a report
finalised before it lists it as a correction. The release is not changed or removed.

``release_in_force`` is every release but those withdrawn: the ledger, the map, the
register, the OGC collections and the exports read it. Both are written by nothing but the
application's inserts; the withdrawal, like the records, can never be changed or removed,
and counts in the data's stamp (``recording_version``) so that kept answers are computed
again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0039'
down_revision: str | None = '0038'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
INSERT_ONLY_0027 = (*APPEND_ONLY, 'hazard', 'report_run', 'outside_release',
                    'outside_release_conversion')
INSERT_ONLY = (*INSERT_ONLY_0027, 'release_withdrawal')
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
MAP_STATE = ('hazard_period', 'hazard_admin1_area', 'hazard_admin1_count', 'admin1_change')
REPORT_STATE = ('report_change', 'hazard_report_area')
READ_ONLY_0027 = (*DERIVED, *MAP_STATE, *REPORT_STATE, 'alembic_version', 'spatial_ref_sys',
                  'recording_version')
READ_ONLY = (*READ_ONLY_0027, 'release_in_force')
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
    CREATE VIEW release_in_force AS
    SELECT r.* FROM release r
    WHERE NOT EXISTS (SELECT 1 FROM release_withdrawal w WHERE w.release_id = r.id)
"""


# The ledger function checks that the rows it stores describe the hazards' own revisions
# and releases, each once: from now on, the releases in force. Its definition is taken from
# the database and changed in these two places only, so that the settings later revisions
# gave it (migration 0022) are kept.
_STORE = "ims_ledger_store(integer[], boolean)"
_CHECKS = (
    ("LEFT JOIN public.release r ON r.id = e.release_id",
     "LEFT JOIN public.release_in_force r ON r.id = e.release_id"),
    ("SELECT r.hazard_id FROM public.release r WHERE r.hazard_id = ANY (hazard_ids)",
     "SELECT r.hazard_id FROM public.release_in_force r WHERE r.hazard_id = ANY (hazard_ids)"),
)


def _store_reads(pairs: tuple[tuple[str, str], ...]) -> None:
    conn = op.get_bind()
    body = conn.scalar(sa.text(f"SELECT pg_get_functiondef('{_STORE}'::regprocedure)"))
    for before, after in pairs:
        if body.count(before) != 1:
            raise RuntimeError(f"{_STORE} is not as migration 0039 expects: {before!r}")
        body = body.replace(before, after)
    conn.exec_driver_sql(body.replace("%", "%%"))  # the driver reads %% as %


def upgrade() -> None:
    """The table, the view, the triggers that keep it and count it, the grants."""
    op.create_table(
        'release_withdrawal',
        sa.Column('release_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), server_default=sa.text("nextval('recording_seq')"),
                  nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('withdrawn_by', sa.String(length=200), nullable=True),
        sa.CheckConstraint('length(btrim(reason)) > 0',
                           name=op.f('ck_release_withdrawal_reason')),
        sa.ForeignKeyConstraint(['release_id'], ['release.id'],
                                name=op.f('fk_release_withdrawal_release_id_release')),
        sa.PrimaryKeyConstraint('release_id', name=op.f('pk_release_withdrawal')),
        sa.UniqueConstraint('seq', name=op.f('uq_release_withdrawal_seq')),
    )
    op.execute("CREATE TRIGGER release_withdrawal_append_only BEFORE UPDATE OR DELETE ON "
               "release_withdrawal FOR EACH ROW EXECUTE FUNCTION ims_append_only()")
    op.execute("CREATE TRIGGER release_withdrawal_counted AFTER INSERT OR UPDATE OR DELETE "
               "OR TRUNCATE ON release_withdrawal FOR EACH STATEMENT "
               "EXECUTE FUNCTION ims_recording_counted()")
    op.execute(IN_FORCE)
    _store_reads(_CHECKS)
    op.execute(_grants(INSERT_ONLY, READ_ONLY))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them; refused while a release is withdrawn (its hazard's ledger, built without
    it, would no longer describe its records, and it would count again unseen)."""
    withdrawn = op.get_bind().scalar(sa.text("SELECT count(*) FROM release_withdrawal"))
    if withdrawn:
        raise RuntimeError(
            f"{withdrawn} release(s) are withdrawn: a database that holds withdrawals cannot "
            "go back before revision 0039"
        )
    op.execute(_grants(INSERT_ONLY_0027, READ_ONLY_0027))
    _store_reads(tuple((after, before) for before, after in _CHECKS))
    op.execute("DROP VIEW release_in_force")
    op.drop_table('release_withdrawal')
    op.execute("SELECT ims_grant_app_role()")
