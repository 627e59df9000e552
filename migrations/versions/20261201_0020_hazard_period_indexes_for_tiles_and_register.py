"""hazard periods indexed so that national tiles of any date and the register's pages read an index alone

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 18:00:00

Issue 15, item 4 (the first tile of a date in 300 ms at 100,000 hazards). Below zoom 9 a
hazard tile is one point per open hazard, merged per cell. At 100,000 hazards the zoom-8
tile over the busiest province holds 8,800 of them, and the periods holding a date lie
all over ``hazard_period``: 6,000-7,000 of its pages were read for that one tile (EXPLAIN
ANALYZE: 222-322 ms when they were not in memory, 70 ms when they were), and a new date
reads other pages. A GiST index cannot give back a PostGIS geometry, so no index-only scan
was possible.

``map_point`` is ``point_3857`` as a plain PostgreSQL point (generated, kept by PostgreSQL
itself); ``ix_hazard_period_points`` indexes it with the date range, holding what a point
tile shows, for the open hazards only (1 m², ims.domain.figures.OPEN_THRESHOLD_M2). The
tile's points are then an index-only scan of a few hundred pages, kept together by place.

``ix_hazard_period_reference`` gives the register's first page (issue 15, item 6: pages
under load): sorted by reference, as it is by default, a page of 100 is the first periods
of the index that hold the date (1 ms), where it sorted every period of the date (50,000-
90,000 at 100,000 hazards, 55-80 ms).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_M2 = '1.0'  # ims.domain.figures.OPEN_THRESHOLD_M2


def upgrade() -> None:
    """The column (the table is rewritten once) and the indexes."""
    op.execute(
        "ALTER TABLE hazard_period ADD COLUMN map_point point "
        "GENERATED ALWAYS AS (point(ST_X(point_3857), ST_Y(point_3857))) STORED"
    )
    op.execute(
        "CREATE INDEX ix_hazard_period_points ON hazard_period USING gist (map_point, during) "
        "INCLUDE (hazard_id, reference, status, contam, remaining_m2, area_m2) "
        f"WHERE remaining_m2 >= {OPEN_M2}"
    )
    op.execute(
        "CREATE INDEX ix_hazard_period_reference ON hazard_period (reference, hazard_id) "
        "INCLUDE (during, remaining_m2, status, contam, entry_no, area_m2, revision_id)"
    )
    op.execute("ANALYZE hazard_period")
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop them."""
    op.execute("DROP INDEX IF EXISTS ix_hazard_period_reference")
    op.execute("DROP INDEX IF EXISTS ix_hazard_period_points")
    op.execute("ALTER TABLE hazard_period DROP COLUMN IF EXISTS map_point")
    op.execute("SELECT ims_grant_app_role()")
