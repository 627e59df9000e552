"""an operator's submission staged before 0031 holds its own records too

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-05 00:10:00

Migration 0031 marked an operator's upload as holding its own organisation's records only,
from then on: a submission an operator had staged before it kept no mark, and if it named
another organisation as the operator of a feature, a reviewer could still approve it
credited to them. Every submission uploaded by a user who is an operator of the
organisation it belongs to is marked now. Those still waiting for a reviewer lose the stamp
that let approval trust the findings of their upload, so approving one checks its features
again and refuses a feature credited to another organisation (``other_organisation``).
The downgrade cannot tell these marks from 0031's, and leaves them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        UPDATE submission s
        SET own_records = true,
            validated_against = CASE WHEN s.status IN ('uploaded', 'validated') THEN NULL
                                     ELSE s.validated_against END
        FROM app_user u
        WHERE u.username = s.uploaded_by AND u.role = 'operator'
          AND u.organisation_id = s.organisation_id AND NOT s.own_records
    """)


def downgrade() -> None:
    """Nothing to undo: 0031's column goes with its own downgrade."""
