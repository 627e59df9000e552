"""land released outside recorded hazards, repairs a reviewer sees, approval in part

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 12:00:00

- ``outside_release``: land released where no hazard was recorded on the date (a legacy
  cleared area, or the part of a release outside every hazard), kept as its own record and
  counted apart in Form 1(i); append-only like ``release``.
- ``outside_release_conversion``: a reviewer turned one into a retrospective hazard;
  append-only.
- ``submission.repair``, ``.split``: the uploader's choices, which approval validates with
  again; ``.partial``: approved in part, the features with errors left out.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
NEW_APPEND_ONLY = ('outside_release', 'outside_release_conversion')
INSERT_ONLY = (*APPEND_ONLY, 'hazard', 'report_run')
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
MAP_STATE = ('hazard_period', 'hazard_admin1_area', 'hazard_admin1_count', 'admin1_change')
READ_ONLY = (*DERIVED, *MAP_STATE, 'alembic_version', 'spatial_ref_sys')
APP_FUNCTIONS = ('ims_ledger_stage()', 'ims_ledger_store(integer[], boolean)',
                 'ims_refresh_overlaps(integer[])')
OWNER_FUNCTIONS = ('ims_audit_seal()', 'ims_grant_app_role()')
MAP_FUNCTIONS = ('ims_map_follow(integer[], integer[])', 'ims_map_forget(integer[], boolean)',
                 'ims_map_areas_from(integer[])', 'ims_map_rebuild(integer[])',
                 'ims_map_pieces_added()', 'ims_map_pieces_changed()', 'ims_map_entries_added()',
                 'ims_map_entries_changed()', 'ims_map_truncated()')

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


def _grants(insert_only: tuple[str, ...]) -> str:
    return _GRANT_BODY.format(
        functions=", ".join(APP_FUNCTIONS + OWNER_FUNCTIONS + MAP_FUNCTIONS), app=APP_ROLE,
        insert_only=", ".join(insert_only), read_only=", ".join(READ_ONLY),
        app_functions=", ".join(APP_FUNCTIONS))


def upgrade() -> None:
    """The two record tables (append-only) and the submission's choices."""
    op.create_geospatial_table('outside_release',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('method', sa.Enum('cancelled', 'reduced', 'cleared', name='method', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('released', sa.Date(), nullable=False),
    sa.Column('contam', sa.Enum('CMR', 'APM', 'ATM', 'ERW', name='contam', native_enum=False, create_constraint=True, length=16), server_default='CMR', nullable=False),
    sa.Column('seq', sa.BigInteger(), server_default=sa.text("nextval('recording_seq')"), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('stated_area_m2', sa.Float(), nullable=True),
    sa.Column('items', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=True),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.CheckConstraint('ST_IsValid(geom) AND NOT ST_IsEmpty(geom) AND ST_SRID(geom) = 4326', name=op.f('ck_outside_release_geom_valid')),
    sa.CheckConstraint('stated_area_m2 IS NULL OR stated_area_m2 >= 0', name=op.f('ck_outside_release_stated_area')),
    sa.ForeignKeyConstraint(['operator_id'], ['organisation.id'], name=op.f('fk_outside_release_operator_id_organisation')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_outside_release_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_release')),
    sa.UniqueConstraint('reference', name=op.f('uq_outside_release_reference')),
    sa.UniqueConstraint('seq', name=op.f('uq_outside_release_seq'))
    )
    op.create_geospatial_index('idx_outside_release_geom', 'outside_release', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('idx_outside_release_geom_3857', 'outside_release', ['geom_3857'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_outside_release_released'), 'outside_release', ['released'], unique=False)
    op.create_index(op.f('ix_outside_release_submission_id'), 'outside_release', ['submission_id'], unique=False)
    op.create_table('outside_release_conversion',
    sa.Column('outside_release_id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('converted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('converted_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazard.id'], name=op.f('fk_outside_release_conversion_hazard_id_hazard')),
    sa.ForeignKeyConstraint(['outside_release_id'], ['outside_release.id'], name=op.f('fk_outside_release_conversion_outside_release_id_outside_release')),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], name=op.f('fk_outside_release_conversion_release_id_release')),
    sa.PrimaryKeyConstraint('outside_release_id', name=op.f('pk_outside_release_conversion'))
    )
    op.add_column('submission', sa.Column('repair', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('submission', sa.Column('split', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('submission', sa.Column('partial', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    for table in NEW_APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION ims_append_only()")
    op.execute(_grants((*INSERT_ONLY, *NEW_APPEND_ONLY)))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them (records of land released outside hazards go with them)."""
    op.execute(_grants(INSERT_ONLY))
    op.drop_column('submission', 'partial')
    op.drop_column('submission', 'split')
    op.drop_column('submission', 'repair')
    op.drop_table('outside_release_conversion')
    op.drop_index(op.f('ix_outside_release_submission_id'), table_name='outside_release')
    op.drop_index(op.f('ix_outside_release_released'), table_name='outside_release')
    op.drop_geospatial_index('idx_outside_release_geom_3857', table_name='outside_release', postgresql_using='gist', column_name='geom_3857')
    op.drop_geospatial_index('idx_outside_release_geom', table_name='outside_release', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('outside_release')
    op.execute("SELECT ims_grant_app_role()")
