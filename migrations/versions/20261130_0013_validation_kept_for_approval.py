"""what validation found, kept so an approval can use it while nothing has changed

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Each staged feature keeps its validated values; the submission, the state of the
    database they were validated against (docs/design.md §5.3)."""
    op.add_column('submission', sa.Column('validated_against', sa.Text(), nullable=True))
    op.add_column('submission_feature',
                  sa.Column('clean', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them (approvals then always validate again)."""
    op.drop_column('submission_feature', 'clean')
    op.drop_column('submission', 'validated_against')
