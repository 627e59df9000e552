"""a hazard recorded in error (a duplicate) can be withdrawn, and is kept

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-16 10:00:00

A hazard recorded twice under two references could only be "cancelled" by a release,
which counts its whole area as land released by non-technical survey: a figure the
Article 7 report then carried for ground that was never a second hazard. Hazards and
their revisions are append-only, so nothing else could take it out.

``hazard_withdrawal`` notes that a reviewer withdrew a hazard, why and when, under a
recording number (``seq``) like the records' own, so that a report finalised before lists
it as a correction. The hazard and its revisions are not changed or removed.

``hazard_in_force`` and ``hazard_revision_in_force`` leave the withdrawn hazards out: the
ledger reads its revisions from the latter, so a withdrawn hazard's ledger is empty and
the map and report state that follows the ledger has nothing of it. ``ims_ledger_store``
refuses a ledger that counts a withdrawn hazard's revision; the overlaps between hazards
are found among the hazards in force.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0040'
down_revision: str | None = '0039'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
INSERT_ONLY_0039 = (*APPEND_ONLY, 'hazard', 'report_run', 'outside_release',
                    'outside_release_conversion', 'release_withdrawal')
INSERT_ONLY = (*INSERT_ONLY_0039, 'hazard_withdrawal')
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
MAP_STATE = ('hazard_period', 'hazard_admin1_area', 'hazard_admin1_count', 'admin1_change')
REPORT_STATE = ('report_change', 'hazard_report_area')
READ_ONLY_0039 = (*DERIVED, *MAP_STATE, *REPORT_STATE, 'alembic_version', 'spatial_ref_sys',
                  'recording_version', 'release_in_force')
READ_ONLY = (*READ_ONLY_0039, 'hazard_in_force', 'hazard_revision_in_force')
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


IN_FORCE = (
    """
    CREATE VIEW hazard_in_force AS
    SELECT h.* FROM hazard h
    WHERE NOT EXISTS (SELECT 1 FROM hazard_withdrawal w WHERE w.hazard_id = h.id)
    """,
    """
    CREATE VIEW hazard_revision_in_force AS
    SELECT r.* FROM hazard_revision r
    WHERE NOT EXISTS (SELECT 1 FROM hazard_withdrawal w WHERE w.hazard_id = r.hazard_id)
    """,
)

# The overlaps between hazards, as migration 0024 finds them, among the revisions in force
# (``{revisions}``): a withdrawn duplicate no longer overlaps the hazard it repeated.
PAIRS = """
    CREATE OR REPLACE FUNCTION ims_overlap_pairs(hazard_ids integer[])
    RETURNS TABLE (hazard_id integer, other_id integer) LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        IF hazard_ids IS NULL THEN
            RETURN QUERY SELECT DISTINCT v.x, v.y FROM (
                SELECT a.hazard_id AS h1, b.hazard_id AS h2 FROM public.{revisions} a
                JOIN public.{revisions} b ON a.hazard_id <> b.hazard_id
                 AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
            ) pairs, LATERAL (VALUES (pairs.h1, pairs.h2), (pairs.h2, pairs.h1)) v(x, y);
        ELSE
            RETURN QUERY SELECT DISTINCT v.x, v.y FROM (
                SELECT a.hazard_id AS h1, b.hazard_id AS h2
                FROM (SELECT DISTINCT unnest(hazard_ids) AS id) i
                JOIN public.{revisions} a ON a.hazard_id = i.id
                JOIN public.{revisions} b ON a.hazard_id <> b.hazard_id
                 AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
            ) pairs, LATERAL (VALUES (pairs.h1, pairs.h2), (pairs.h2, pairs.h1)) v(x, y);
        END IF;
    END $$
"""

# The ledger function checks that the rows it stores describe the hazards' own revisions
# and releases, each once: from now on, the revisions in force. Its definition is taken
# from the database and changed in these two places only (as migration 0039 did).
_STORE = "ims_ledger_store(integer[], boolean)"
_CHECKS = (
    ("LEFT JOIN public.hazard_revision v ON v.id = e.revision_id",
     "LEFT JOIN public.hazard_revision_in_force v ON v.id = e.revision_id"),
    ("SELECT v.hazard_id FROM public.hazard_revision v",
     "SELECT v.hazard_id FROM public.hazard_revision_in_force v"),
)


def _store_reads(pairs: tuple[tuple[str, str], ...]) -> None:
    conn = op.get_bind()
    body = conn.scalar(sa.text(f"SELECT pg_get_functiondef('{_STORE}'::regprocedure)"))
    for before, after in pairs:
        if body.count(before) != 1:
            raise RuntimeError(f"{_STORE} is not as migration 0040 expects: {before!r}")
        body = body.replace(before, after)
    conn.exec_driver_sql(body.replace("%", "%%"))  # the driver reads %% as %


def upgrade() -> None:
    """The table, the views, the triggers that keep it and count it, the grants."""
    op.create_table(
        'hazard_withdrawal',
        sa.Column('hazard_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), server_default=sa.text("nextval('recording_seq')"),
                  nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('withdrawn_by', sa.String(length=200), nullable=True),
        sa.CheckConstraint('length(btrim(reason)) > 0',
                           name=op.f('ck_hazard_withdrawal_reason')),
        sa.ForeignKeyConstraint(['hazard_id'], ['hazard.id'],
                                name=op.f('fk_hazard_withdrawal_hazard_id_hazard')),
        sa.PrimaryKeyConstraint('hazard_id', name=op.f('pk_hazard_withdrawal')),
        sa.UniqueConstraint('seq', name=op.f('uq_hazard_withdrawal_seq')),
    )
    op.execute("CREATE TRIGGER hazard_withdrawal_append_only BEFORE UPDATE OR DELETE ON "
               "hazard_withdrawal FOR EACH ROW EXECUTE FUNCTION ims_append_only()")
    op.execute("CREATE TRIGGER hazard_withdrawal_counted AFTER INSERT OR UPDATE OR DELETE "
               "OR TRUNCATE ON hazard_withdrawal FOR EACH STATEMENT "
               "EXECUTE FUNCTION ims_recording_counted()")
    for view in IN_FORCE:
        op.execute(view)
    op.execute(PAIRS.format(revisions='hazard_revision_in_force'))
    _store_reads(_CHECKS)
    op.execute(_grants(INSERT_ONLY, READ_ONLY))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them; refused while a hazard is withdrawn (it would count again unseen)."""
    withdrawn = op.get_bind().scalar(sa.text("SELECT count(*) FROM hazard_withdrawal"))
    if withdrawn:
        raise RuntimeError(
            f"hazards withdrawn: {withdrawn}. A database that holds withdrawals of hazards "
            "cannot go back before revision 0040"
        )
    op.execute(_grants(INSERT_ONLY_0039, READ_ONLY_0039))
    _store_reads(tuple((after, before) for before, after in _CHECKS))
    op.execute(PAIRS.format(revisions='hazard_revision'))
    op.execute("DROP VIEW hazard_revision_in_force")
    op.execute("DROP VIEW hazard_in_force")
    op.drop_table('hazard_withdrawal')
    op.execute("SELECT ims_grant_app_role()")
