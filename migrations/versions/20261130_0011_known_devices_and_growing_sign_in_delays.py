"""known devices, and sign-in failures counted per device

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Browsers users signed in from, and which of them a failed sign-in came from."""
    op.create_table('known_device',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_known_device_user_id_app_user')),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_known_device'))
    )
    op.create_index(op.f('ix_known_device_user_id'), 'known_device', ['user_id'], unique=False)
    op.add_column('login_failure', sa.Column('device_hash', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_login_failure_device_hash'), 'login_failure', ['device_hash'], unique=False)
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them."""
    op.drop_index(op.f('ix_login_failure_device_hash'), table_name='login_failure')
    op.drop_column('login_failure', 'device_hash')
    op.drop_index(op.f('ix_known_device_user_id'), table_name='known_device')
    op.drop_table('known_device')
