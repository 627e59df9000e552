"""work plan targets

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 03:30:09.952957
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Annual land-release targets per province and method (append-only)."""
    op.create_table('work_plan_target',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('cancelled', 'reduced', 'cleared', name='method', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('target_m2', sa.Float(), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('set_by', sa.String(length=100), nullable=True),
    sa.CheckConstraint('target_m2 >= 0', name=op.f('ck_work_plan_target_target_non_negative')),
    sa.ForeignKeyConstraint(['admin_id'], ['admin_area.id'], name=op.f('fk_work_plan_target_admin_id_admin_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_plan_target'))
    )
    op.create_index(op.f('ix_work_plan_target_year'), 'work_plan_target', ['year'], unique=False)


def downgrade() -> None:
    """Drop the work plan targets."""
    op.drop_index(op.f('ix_work_plan_target_year'), table_name='work_plan_target')
    op.drop_table('work_plan_target')
