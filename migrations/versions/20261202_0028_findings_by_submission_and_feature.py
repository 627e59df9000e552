"""a feature's findings found by its row, not among all of its submission's

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 17:30:00

Issue 15 (national scale). The review page lists a page of features, each with its
findings, and filters them by their worst finding (errors, warnings, none). Findings were
indexed by submission only, so each feature's were searched among all of its submission's:
for the national releases file (305,996 features, 11,074 findings) the "with errors"
filter compared every feature with every finding, more than ten minutes of the database's
time for a page that has none. Indexed by submission and row, each is one lookup; the
index by submission alone is the new one's first column, and goes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The index by submission and row, in place of the one by submission."""
    op.create_index('ix_finding_submission_row', 'finding', ['submission_id', 'row_number'])
    op.drop_index('ix_finding_submission_id', table_name='finding')


def downgrade() -> None:
    """The index by submission alone, as before."""
    op.create_index('ix_finding_submission_id', 'finding', ['submission_id'])
    op.drop_index('ix_finding_submission_row', table_name='finding')
