"""when a submission's findings were last stored

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05 01:30:00

A refused approval that checked a file again keeps what it found as the submission's
findings (``ims.ingest.approval.keep_found_again``). The review page's preview ("if
approved") leaves out the features with errors and is kept under the data's stamp, which
findings do not change: it went on counting a feature the new findings had ruled out. It
is kept under the time the findings were stored as well.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0033'
down_revision: str | None = '0032'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('submission', sa.Column('findings_at', sa.DateTime(timezone=True),
                                          server_default=sa.func.now(), nullable=False))


def downgrade() -> None:
    op.drop_column('submission', 'findings_at')
