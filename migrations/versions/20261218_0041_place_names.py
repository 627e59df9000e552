"""other names an admin area is known by, which the map's find box searches

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-18 10:00:00

Lao names are written many ways: a person reading the map typed "Sayaboury" or
"Borikhamxay" and found nothing, where the boundaries say Xaignabouli and Bolikhamsai, and
the names read too little alike for the find box's similarity to offer them. A gazetteer's
other names of each area (``ims boundaries names``) are kept in ``place_name``; ``key`` is
the name as the find box compares it (ims.domain.places.search_key). They are search aids,
not records: loading a gazetteer again replaces them, and the audit keeps what it changed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0041'
down_revision: str | None = '0040'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The table and the app role's grants on it."""
    op.create_table(
        'place_name',
        sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column('admin_area_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=True),
        sa.Column('loaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['admin_area_id'], ['admin_area.id'], ondelete='CASCADE',
                                name=op.f('fk_place_name_admin_area_id_admin_area')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_place_name')),
        sa.UniqueConstraint('admin_area_id', 'key', name='uq_place_name_area_key'),
    )
    op.create_index(op.f('ix_place_name_admin_area_id'), 'place_name', ['admin_area_id'])
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop the table: the names are a gazetteer's, loaded again from its file."""
    op.drop_table('place_name')
