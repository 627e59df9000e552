"""a submission its sender withdrew is withdrawn, not rejected

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 09:00:00

An operator's withdrawn upload had been stored as rejected, its reason "withdrawn by
NAME: why"; the submissions list called it rejected, which told the operator a reviewer
had refused it. Those found by their audit event (``submission.withdrawn``) become
withdrawn, their reason the sender's own words (none if they gave none); who withdrew it
stays in ``decided_by``. The audit trail itself is not touched.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "status IN ('uploaded', 'validated', 'approved', 'rejected', 'superseded')"
_AFTER = "status IN ('uploaded', 'validated', 'approved', 'rejected', 'superseded', 'withdrawn')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_submission_status"), "submission", type_="check")
    op.create_check_constraint(op.f("ck_submission_status"), "submission", _AFTER)
    op.execute(
        """
        UPDATE submission s SET
          status = 'withdrawn',
          reason = nullif(
            regexp_replace(substr(s.reason, length('withdrawn by ' || s.decided_by) + 1),
                           '^: ', ''),
            '')
        WHERE s.status = 'rejected'
          AND starts_with(s.reason, 'withdrawn by ' || s.decided_by)
          AND EXISTS (SELECT 1 FROM audit_event a
                      WHERE a.submission_id = s.id AND a.action = 'submission.withdrawn')
        """
    )


def downgrade() -> None:
    """Withdrawn submissions become rejected ones again, "withdrawn by NAME" their reason."""
    op.execute(
        "UPDATE submission SET status = 'rejected', "
        "reason = 'withdrawn by ' || coalesce(decided_by, 'its sender') "
        "|| coalesce(': ' || reason, '') WHERE status = 'withdrawn'"
    )
    op.drop_constraint(op.f("ck_submission_status"), "submission", type_="check")
    op.create_check_constraint(op.f("ck_submission_status"), "submission", _BEFORE)
