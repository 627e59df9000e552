"""a submission may replace an earlier pending one, which is then superseded

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "status IN ('uploaded', 'validated', 'approved', 'rejected')"
_AFTER = "status IN ('uploaded', 'validated', 'approved', 'rejected', 'superseded')"


def upgrade() -> None:
    """An operator who fixes a file uploads it again saying which submission it replaces:
    the earlier one is superseded (no longer awaiting review) and each names the other."""
    op.drop_constraint(op.f('ck_submission_status'), 'submission', type_='check')
    op.create_check_constraint(op.f('ck_submission_status'), 'submission', _AFTER)
    op.add_column('submission', sa.Column('replaces', sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f('fk_submission_replaces_submission'), 'submission', 'submission', ['replaces'], ['id']
    )
    # one upload replaces a submission, never two
    op.create_unique_constraint(op.f('uq_submission_replaces'), 'submission', ['replaces'])
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop the link; superseded submissions become rejected ones, with the reason."""
    op.execute(
        "UPDATE submission SET status = 'rejected', "
        "reason = coalesce(reason, 'superseded by a later upload') WHERE status = 'superseded'"
    )
    op.drop_constraint(op.f('uq_submission_replaces'), 'submission', type_='unique')
    op.drop_constraint(op.f('fk_submission_replaces_submission'), 'submission', type_='foreignkey')
    op.drop_column('submission', 'replaces')
    op.drop_constraint(op.f('ck_submission_status'), 'submission', type_='check')
    op.create_check_constraint(op.f('ck_submission_status'), 'submission', _BEFORE)
