"""release previews counted again

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 09:00:00

The review page's preview ("if approved") of a releases file had left out the releases
matched by geometry (no hazard named), which the approval records on each hazard they
lie on. The previews kept in the database were computed that way; they are forgotten
here, and each is computed again when its page is next opened.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0034'
down_revision: str | None = '0033'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM submission_preview")


def downgrade() -> None:
    pass  # a preview is computed again whenever it is missing
