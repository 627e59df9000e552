"""indexes for the hazard register: the state on a date read from the index, text search

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 12:00:00

Issue 16, item 7 (a register page of 100 and a text search in 300 ms at 100,000 hazards).

- ``ix_hazard_period_on``: the periods holding a date, with what the register counts,
  filters and sorts by in the index itself: counting the hazards of a date, and choosing
  a page of them, is an index-only scan, not a read of every period (190 ms → 35 ms).
- ``ix_ledger_entry_count_admin1/2``: the entries counted in an admin area, for the
  register of one province or district.
- ``pg_trgm`` and two trigram indexes: a hazard's reference, and the values of the
  upload's own columns of each revision (a village name), both lower-cased, so that
  ``q`` (text anywhere in them, any case) finds its hazards without reading them all.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ims.queries.register.ATTRIBUTE_TEXT, on the table's own column
ATTRIBUTE_TEXT = "lower(jsonb_path_query_array(attributes, '$.*')::text)"


def upgrade() -> None:
    """The extension and the indexes."""
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX ix_hazard_period_on ON hazard_period USING gist (during) "
        "INCLUDE (remaining_m2, contam, status, reference, hazard_id, entry_no, area_m2, "
        "revision_id)"
    )
    for level in (1, 2):
        op.execute(
            f"CREATE INDEX ix_ledger_entry_count_admin{level} ON ledger_entry "
            f"(count_admin{level}_id, hazard_id, entry_no)"
        )
    op.execute(
        "CREATE INDEX ix_hazard_reference_text ON hazard USING gin "
        "(lower(reference) gin_trgm_ops)"
    )
    op.execute(
        f"CREATE INDEX ix_hazard_revision_attribute_text ON hazard_revision USING gin "
        f"({ATTRIBUTE_TEXT} gin_trgm_ops) WHERE attributes IS NOT NULL"
    )
    op.execute("ANALYZE hazard_period")
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them (pg_trgm stays: another database object may use it)."""
    op.execute("DROP INDEX IF EXISTS ix_ledger_entry_count_admin2")
    op.execute("DROP INDEX IF EXISTS ix_ledger_entry_count_admin1")
    op.execute("DROP INDEX IF EXISTS ix_hazard_revision_attribute_text")
    op.execute("DROP INDEX IF EXISTS ix_hazard_reference_text")
    op.execute("DROP INDEX IF EXISTS ix_hazard_period_on")
    op.execute("SELECT ims_grant_app_role()")
