"""core schema: admin areas, organisations, munition types, hazards with revisions, releases, submissions, findings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:44:30.204038
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The common cluster munition remnant types, then categories for other items. Codes are
# what operators write in their files; names are for people.
MUNITION_TYPES = [
    ("BLU-26", "BLU-26/B submunition (bomblet)", "CMR"),
    ("BLU-24", "BLU-24/B submunition (bomblet)", "CMR"),
    ("BLU-36", "BLU-36/B submunition (bomblet)", "CMR"),
    ("BLU-61", "BLU-61A/B submunition (bomblet)", "CMR"),
    ("BLU-63", "BLU-63/B submunition (bomblet)", "CMR"),
    ("BLU-97", "BLU-97/B combined effects bomblet", "CMR"),
    ("M42", "M42 DPICM grenade", "CMR"),
    ("M46", "M46 DPICM grenade", "CMR"),
    ("M77", "M77 DPICM submunition", "CMR"),
    ("M85", "M85 DPICM submunition", "CMR"),
    ("PTAB-1M", "PTAB-1M anti-tank submunition", "CMR"),
    ("PTAB-2.5M", "PTAB-2.5M anti-tank submunition", "CMR"),
    ("AO-2.5RT", "AO-2.5RT fragmentation submunition", "CMR"),
    ("ShOAB-0.5", "ShOAB-0.5 fragmentation submunition", "CMR"),
    ("9N210", "9N210 fragmentation submunition", "CMR"),
    ("9N235", "9N235 fragmentation submunition", "CMR"),
    ("MK-118", "Mk 118 Rockeye anti-tank bomblet", "CMR"),
    ("CMR-OTHER", "Other or unidentified cluster munition remnant", "CMR"),
    ("APM", "Anti-personnel mine", "APM"),
    ("ATM", "Anti-tank mine", "ATM"),
    ("BOMB", "Air-dropped bomb", "ERW"),
    ("ROCKET", "Rocket", "ERW"),
    ("MORTAR", "Mortar bomb", "ERW"),
    ("PROJECTILE", "Artillery projectile", "ERW"),
    ("GRENADE", "Hand or rifle grenade", "ERW"),
    ("ERW-OTHER", "Other explosive remnant of war", "ERW"),
]


def upgrade() -> None:
    """Create the core tables and seed the munition-type reference list."""
    # One sequence numbers every recorded revision and release: the tie-break for same-day
    # events in the area accounting.
    op.execute(sa.schema.CreateSequence(sa.Sequence("recording_seq")))
    op.create_geospatial_table('admin_area',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('ST_IsValid(geom) AND NOT ST_IsEmpty(geom) AND ST_SRID(geom) = 4326', name=op.f('ck_admin_area_geom_valid')),
    sa.CheckConstraint('level IN (1, 2)', name=op.f('ck_admin_area_level')),
    sa.ForeignKeyConstraint(['parent_id'], ['admin_area.id'], name=op.f('fk_admin_area_parent_id_admin_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_area')),
    sa.UniqueConstraint('level', 'code', name='uq_admin_area_level_code')
    )
    op.create_geospatial_index('idx_admin_area_geom', 'admin_area', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_admin_area_parent_id'), 'admin_area', ['parent_id'], unique=False)
    op.create_table('hazard',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('contam', sa.Enum('CMR', 'APM', 'ATM', 'ERW', name='contam', native_enum=False, create_constraint=True, length=16), server_default='CMR', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard')),
    sa.UniqueConstraint('reference', name=op.f('uq_hazard_reference'))
    )
    op.create_table('munition_type',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.Enum('CMR', 'APM', 'ATM', 'ERW', name='category', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('is_cmr', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_munition_type'))
    )
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='operator', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('authority', 'operator')", name=op.f('ck_organisation_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('name', name=op.f('uq_organisation_name'))
    )
    op.create_table('submission',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('crs', sa.String(length=200), nullable=True),
    sa.Column('field_map', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='uploaded', nullable=False),
    sa.Column('feature_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('uploaded_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('hazards', 'releases')", name=op.f('ck_submission_kind')),
    sa.CheckConstraint("status IN ('uploaded', 'validated', 'approved', 'rejected')", name=op.f('ck_submission_status')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_submission_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission'))
    )
    op.create_index(op.f('ix_submission_sha256'), 'submission', ['sha256'], unique=False)
    op.create_table('finding',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("severity IN ('error', 'warning')", name=op.f('ck_finding_severity')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_finding_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding'))
    )
    op.create_index(op.f('ix_finding_submission_id'), 'finding', ['submission_id'], unique=False)
    op.create_geospatial_table('hazard_revision',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('effective', sa.Date(), nullable=False),
    sa.Column('seq', sa.BigInteger(), server_default=sa.text("nextval('recording_seq')"), nullable=False),
    sa.Column('status', sa.Enum('SHA', 'CHA', name='status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('used_from', sa.SmallInteger(), nullable=True),
    sa.Column('used_to', sa.SmallInteger(), nullable=True),
    sa.Column('marked', sa.Date(), nullable=True),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint('ST_IsValid(geom) AND NOT ST_IsEmpty(geom) AND ST_SRID(geom) = 4326', name=op.f('ck_hazard_revision_geom_valid')),
    sa.CheckConstraint('used_from IS NULL OR used_to IS NULL OR used_from <= used_to', name=op.f('ck_hazard_revision_years_of_use')),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazard.id'], name=op.f('fk_hazard_revision_hazard_id_hazard')),
    sa.ForeignKeyConstraint(['operator_id'], ['organisation.id'], name=op.f('fk_hazard_revision_operator_id_organisation')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_hazard_revision_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_revision')),
    sa.UniqueConstraint('seq', name=op.f('uq_hazard_revision_seq'))
    )
    op.create_geospatial_index('idx_hazard_revision_geom', 'hazard_revision', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_hazard_revision_hazard_id'), 'hazard_revision', ['hazard_id'], unique=False)
    op.create_index(op.f('ix_hazard_revision_submission_id'), 'hazard_revision', ['submission_id'], unique=False)
    op.create_geospatial_table('release',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('cancelled', 'reduced', 'cleared', name='method', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('released', sa.Date(), nullable=False),
    sa.Column('seq', sa.BigInteger(), server_default=sa.text("nextval('recording_seq')"), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('stated_area_m2', sa.Float(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=True),
    sa.CheckConstraint('ST_IsValid(geom) AND NOT ST_IsEmpty(geom) AND ST_SRID(geom) = 4326', name=op.f('ck_release_geom_valid')),
    sa.CheckConstraint('stated_area_m2 IS NULL OR stated_area_m2 >= 0', name=op.f('ck_release_stated_area')),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazard.id'], name=op.f('fk_release_hazard_id_hazard')),
    sa.ForeignKeyConstraint(['operator_id'], ['organisation.id'], name=op.f('fk_release_operator_id_organisation')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_release_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release')),
    sa.UniqueConstraint('reference', name=op.f('uq_release_reference')),
    sa.UniqueConstraint('seq', name=op.f('uq_release_seq'))
    )
    op.create_geospatial_index('idx_release_geom', 'release', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_release_hazard_id'), 'release', ['hazard_id'], unique=False)
    op.create_index(op.f('ix_release_submission_id'), 'release', ['submission_id'], unique=False)
    op.create_table('hazard_estimate',
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('munition_code', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_hazard_estimate_quantity')),
    sa.ForeignKeyConstraint(['munition_code'], ['munition_type.code'], name=op.f('fk_hazard_estimate_munition_code_munition_type')),
    sa.ForeignKeyConstraint(['revision_id'], ['hazard_revision.id'], name=op.f('fk_hazard_estimate_revision_id_hazard_revision')),
    sa.PrimaryKeyConstraint('revision_id', 'munition_code', name=op.f('pk_hazard_estimate'))
    )
    op.create_table('release_item',
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('munition_code', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_release_item_quantity')),
    sa.ForeignKeyConstraint(['munition_code'], ['munition_type.code'], name=op.f('fk_release_item_munition_code_munition_type')),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], name=op.f('fk_release_item_release_id_release')),
    sa.PrimaryKeyConstraint('release_id', 'munition_code', name=op.f('pk_release_item'))
    )
    munition_type = sa.table(
        "munition_type",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("category", sa.String),
        sa.column("is_cmr", sa.Boolean),
    )
    op.bulk_insert(
        munition_type,
        [
            {"code": code, "name": name, "category": category, "is_cmr": category == "CMR"}
            for code, name, category in MUNITION_TYPES
        ],
    )


def downgrade() -> None:
    """Drop the core tables."""
    op.drop_table('release_item')
    op.drop_table('hazard_estimate')
    op.drop_index(op.f('ix_release_submission_id'), table_name='release')
    op.drop_index(op.f('ix_release_hazard_id'), table_name='release')
    op.drop_geospatial_index('idx_release_geom', table_name='release', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('release')
    op.drop_index(op.f('ix_hazard_revision_submission_id'), table_name='hazard_revision')
    op.drop_index(op.f('ix_hazard_revision_hazard_id'), table_name='hazard_revision')
    op.drop_geospatial_index('idx_hazard_revision_geom', table_name='hazard_revision', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('hazard_revision')
    op.drop_index(op.f('ix_finding_submission_id'), table_name='finding')
    op.drop_table('finding')
    op.drop_index(op.f('ix_submission_sha256'), table_name='submission')
    op.drop_table('submission')
    op.drop_table('organisation')
    op.drop_table('munition_type')
    op.drop_table('hazard')
    op.drop_index(op.f('ix_admin_area_parent_id'), table_name='admin_area')
    op.drop_geospatial_index('idx_admin_area_geom', table_name='admin_area', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('admin_area')
    op.execute(sa.schema.DropSequence(sa.Sequence("recording_seq")))
