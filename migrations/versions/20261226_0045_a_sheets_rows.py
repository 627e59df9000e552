"""each feature's row in the sheet it was read from

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-26 10:00:00

A workbook whose header is not on row 1, or with blank rows between its records, puts a
feature's row elsewhere than its number plus one, which the review page had said of every
table ("feature 1 (row 2 of the sheet)" of a record on row 3: a legacy migration's walk-
through). The submission keeps each feature's row as the sheet numbers it; null for a file
that is no workbook, and for submissions made before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0045'
down_revision: str | None = '0044'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The column of each feature's sheet row."""
    op.add_column(
        'submission', sa.Column('sheet_rows', postgresql.ARRAY(sa.Integer()), nullable=True)
    )


def downgrade() -> None:
    """Without it: the rows are said by the feature numbers again."""
    op.drop_column('submission', 'sheet_rows')
