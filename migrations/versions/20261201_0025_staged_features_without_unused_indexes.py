"""staged features without the two indexes no query used

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 12:00:00

Issue 15 (national scale). Every feature of an upload is staged in ``submission_feature``
(306,000 rows for a national releases file), and each row kept two indexes up to date
that nothing reads:

- a GiST index on ``geom``: the review map asks for ``COALESCE(geom, raw_geom)`` within a
  tile, of one submission, which that index cannot answer (EXPLAIN: the submission's rows
  by its id, then the box tested on each); nothing else searches staged features by
  place;
- a b-tree on ``submission_id``: the unique index on (``submission_id``, ``row_number``)
  answers the same lookups, and the cascade from ``submission``.

Without them, storing the national releases file for review takes 5.5 s instead of 7.2 s.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Drop the two indexes."""
    op.drop_index('ix_submission_feature_submission_id', table_name='submission_feature')
    op.drop_geospatial_index('idx_submission_feature_geom', table_name='submission_feature',
                             postgresql_using='gist', column_name='geom')


def downgrade() -> None:
    """Build them again, as revision 0004 made them."""
    op.create_geospatial_index('idx_submission_feature_geom', 'submission_feature', ['geom'],
                               unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_submission_feature_submission_id', 'submission_feature',
                    ['submission_id'], unique=False)
