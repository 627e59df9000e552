"""each district's ground outside its province

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-10 10:00:00

Boundaries of two sources need not nest: the demo's provinces (OpenStreetMap) and
districts (OCHA) leave 3,459 km² of districts outside their province, so a province's
figures were not the sum of its districts' and nothing said why (found by a review as a
GIS officer). The district's ground outside the province it belongs to is kept with it,
measured on the ellipsoid when boundaries are loaded, and filled in here for those loaded
before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0037'
down_revision: str | None = '0036'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('admin_area', sa.Column('outside_parent_m2', sa.Float(), nullable=True))
    op.execute(
        "UPDATE admin_area d SET outside_parent_m2 = "
        "ST_Area(ST_Difference(d.geom, p.geom)::geography) "
        "FROM admin_area p WHERE p.id = d.parent_id AND d.level = 2"
    )


def downgrade() -> None:
    op.drop_column('admin_area', 'outside_parent_m2')
