"""what approving a staged submission would do, kept in the database under its data stamp

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 21:30:00

The review page of a staged submission shows what approving it would record or release,
per province ("If approved"). For the national releases file that takes 9 s (each release
cut to its hazard's remaining ground, split by province). The upload computes it as its
last step and the server keeps it in memory under the data's stamp, so the page opens at
once, until the server restarts: then the first reviewer waited 9–15 s. Kept here as well,
with the stamp it was computed under, it outlives the server; a row under another stamp is
computed again. The application writes it (ims_grant_app_role gives a new table's rights).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The table, one row per submission."""
    op.create_table(
        'submission_preview',
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('stamp', sa.Text(), nullable=False),
        sa.Column('preview', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['submission.id'],
                                name=op.f('fk_submission_preview_submission_id_submission'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_submission_preview')),
    )


def downgrade() -> None:
    """Without it, each server computes the preview again after it starts."""
    op.drop_table('submission_preview')
