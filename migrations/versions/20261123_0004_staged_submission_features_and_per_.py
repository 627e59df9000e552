"""staged submission features and per-organisation field mappings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:03:30.893354
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql
revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Stage uploaded features for review; remember each organisation's field names."""
    op.create_table('field_mapping',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('mapping', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('hazards', 'releases')", name=op.f('ck_field_mapping_kind')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_field_mapping_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'kind', name=op.f('pk_field_mapping'))
    )
    op.create_geospatial_table('submission_feature',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('record', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('raw_geom', Geometry(srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.CheckConstraint('geom IS NULL OR (ST_IsValid(geom) AND NOT ST_IsEmpty(geom) AND ST_SRID(geom) = 4326)', name=op.f('ck_submission_feature_geom_valid')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_submission_feature_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_feature')),
    sa.UniqueConstraint('submission_id', 'row_number', name='uq_submission_feature_row')
    )
    op.create_geospatial_index('idx_submission_feature_geom', 'submission_feature', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_submission_feature_submission_id'), 'submission_feature', ['submission_id'], unique=False)
    op.add_column('submission', sa.Column('layer', sa.String(length=200), nullable=True))
    op.add_column('submission', sa.Column('encoding', sa.String(length=40), nullable=True))


def downgrade() -> None:
    """Drop staged features and field mappings."""
    op.drop_column('submission', 'encoding')
    op.drop_column('submission', 'layer')
    op.drop_index(op.f('ix_submission_feature_submission_id'), table_name='submission_feature')
    op.drop_geospatial_index('idx_submission_feature_geom', table_name='submission_feature', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('submission_feature')
    op.drop_table('field_mapping')
