"""an operator's submission holds its own organisation's records

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 00:30:00

A record form refused an operator's record credited to another organisation, but an
uploaded file of such records was staged without a finding, and approved credited them to
the other organisation (an attack on our own instance found it). A submission an operator
uploads is now marked, and validation, at upload and again at approval, refuses a feature
that names another organisation as its operator. Files of several operators' records are
the authority's to upload. Submissions staged before keep no mark: their findings stand.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0031'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('submission', sa.Column('own_records', sa.Boolean(),
                                          server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('submission', 'own_records')
