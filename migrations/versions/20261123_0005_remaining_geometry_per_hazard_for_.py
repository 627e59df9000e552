"""remaining geometry per hazard, for appending releases and for maps

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:34:40.804507
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Keep each hazard's remaining geometry (derived from its ledger)."""
    op.create_geospatial_table('hazard_remaining',
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazard.id'], name=op.f('fk_hazard_remaining_hazard_id_hazard'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hazard_id', name=op.f('pk_hazard_remaining'))
    )
    # Existing hazards get theirs when their ledger is next rebuilt (ims rebuilds a
    # hazard's whole ledger whenever its row here is missing).
    op.create_geospatial_index('idx_hazard_remaining_geom', 'hazard_remaining', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})


def downgrade() -> None:
    """Drop the remaining geometries (derived data)."""
    op.drop_geospatial_index('idx_hazard_remaining_geom', table_name='hazard_remaining', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('hazard_remaining')
