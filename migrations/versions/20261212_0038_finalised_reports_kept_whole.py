"""finalised reports kept whole

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-12 10:00:00

A finalised Article 7 report kept three national totals: the report as submitted could
not be produced again per province or district once a correction was recorded (found by
a walk-through as an IM officer correcting data). The whole report is kept with its
finalisation now, with the notes its files carried; those finalised before keep their
totals alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0038'
down_revision: str | None = '0037'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'report_run',
        sa.Column('document', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column('report_run', 'document')
