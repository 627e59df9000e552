"""submissions awaiting review that a reviewer chose to have the reports note

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The Article 7 notes listed every submission awaiting review with errors, failed trial
    imports included; now a reviewer chooses which ones the reports note (none at first)."""
    op.add_column('submission', sa.Column('noted', sa.Boolean(), server_default=sa.false(),
                                          nullable=False))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop the choice."""
    op.drop_column('submission', 'noted')
