"""web mercator copies for vector tiles; state with the remaining geometry

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 02:45:43.979077
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Keep EPSG:3857 copies of the geometries the maps tile, and today's state per hazard."""
    op.add_geospatial_column('admin_area', sa.Column('geom_3857', Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True))
    op.create_geospatial_index('idx_admin_area_geom_3857', 'admin_area', ['geom_3857'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.add_column('hazard_remaining', sa.Column('status', sa.String(length=16), nullable=True))
    op.add_column('hazard_remaining', sa.Column('remaining_m2', sa.Float(), nullable=True))
    op.add_column('hazard_remaining', sa.Column('area_m2', sa.Float(), nullable=True))
    op.add_geospatial_column('hazard_remaining', sa.Column('geom_3857', Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True))
    op.add_geospatial_column('hazard_remaining', sa.Column('point_3857', Geometry(geometry_type='POINT', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(ST_PointOnSurface(geom), 3857)', persisted=True), nullable=True))
    op.create_geospatial_index('idx_hazard_remaining_geom_3857', 'hazard_remaining', ['geom_3857'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('idx_hazard_remaining_point_3857', 'hazard_remaining', ['point_3857'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.add_geospatial_column('hazard_revision', sa.Column('geom_3857', Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True))
    op.create_geospatial_index('idx_hazard_revision_geom_3857', 'hazard_revision', ['geom_3857'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.add_geospatial_column('release', sa.Column('geom_3857', Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True))
    op.create_geospatial_index('idx_release_geom_3857', 'release', ['geom_3857'], unique=False, postgresql_using='gist', postgresql_ops={})
    # Existing rows get today's state; the boundary area is ST_Area on geography here
    # (ims itself computes it with edges straight in lon/lat: ~1e-5 apart at most).
    op.execute(
        "UPDATE hazard_remaining m SET status = last.status_after, "
        "remaining_m2 = last.remaining_after_m2, area_m2 = ST_Area(rev.geom::geography) FROM ("
        " SELECT DISTINCT ON (hazard_id) hazard_id, status_after, remaining_after_m2, "
        " revision_id FROM ledger_entry ORDER BY hazard_id, entry_no DESC) last "
        "JOIN hazard_revision rev ON rev.id = last.revision_id "
        "WHERE last.hazard_id = m.hazard_id"
    )


def downgrade() -> None:
    """Drop the derived copies and state."""
    op.drop_geospatial_index('idx_release_geom_3857', table_name='release', postgresql_using='gist', column_name='geom_3857')
    op.drop_geospatial_column('release', 'geom_3857')
    op.drop_geospatial_index('idx_hazard_revision_geom_3857', table_name='hazard_revision', postgresql_using='gist', column_name='geom_3857')
    op.drop_geospatial_column('hazard_revision', 'geom_3857')
    op.drop_geospatial_index('idx_hazard_remaining_point_3857', table_name='hazard_remaining', postgresql_using='gist', column_name='point_3857')
    op.drop_geospatial_index('idx_hazard_remaining_geom_3857', table_name='hazard_remaining', postgresql_using='gist', column_name='geom_3857')
    op.drop_geospatial_column('hazard_remaining', 'point_3857')
    op.drop_geospatial_column('hazard_remaining', 'geom_3857')
    op.drop_column('hazard_remaining', 'area_m2')
    op.drop_column('hazard_remaining', 'remaining_m2')
    op.drop_column('hazard_remaining', 'status')
    op.drop_geospatial_index('idx_admin_area_geom_3857', table_name='admin_area', postgresql_using='gist', column_name='geom_3857')
    op.drop_geospatial_column('admin_area', 'geom_3857')
