"""enable PostGIS

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 19:44:27.063621
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Enable PostGIS: every geometry column and spatial function needs it."""
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def downgrade() -> None:
    """Drop PostGIS (only once nothing uses it)."""
    op.execute("DROP EXTENSION IF EXISTS postgis")
