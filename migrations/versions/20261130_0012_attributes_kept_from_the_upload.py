"""the attributes of an upload that are not template fields, kept with each record

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """An operator's own columns (a village, a note…) travel with the record they came with."""
    for table in ('hazard_revision', 'release'):
        op.add_column(table, sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()),
                                       nullable=True))
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them."""
    for table in ('hazard_revision', 'release'):
        op.drop_column(table, 'attributes')
