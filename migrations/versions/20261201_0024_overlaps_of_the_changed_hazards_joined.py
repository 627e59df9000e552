"""the overlaps of the changed hazards found by a join, not by a search of a list

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 10:00:00

Issue 15 (load). ``ims_refresh_overlaps`` looked the changed hazards up with
``= ANY (hazard_ids)``, a search of the whole list for each row, so an approval of more
than 1,000 hazards recomputed every overlap in the database instead: at 100,000 hazards,
10,000 new ones took 2.8 s alone and 8.5 s while the server was busy. The list is now
joined (``unnest``), and only the changed hazards' pairs are found again: 0.3 s.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAIRS = """
    CREATE OR REPLACE FUNCTION ims_overlap_pairs(hazard_ids integer[])
    RETURNS TABLE (hazard_id integer, other_id integer) LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        IF hazard_ids IS NULL THEN
            RETURN QUERY SELECT DISTINCT v.x, v.y FROM (
                SELECT a.hazard_id AS h1, b.hazard_id AS h2 FROM public.hazard_revision a
                JOIN public.hazard_revision b ON a.hazard_id <> b.hazard_id
                 AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
            ) pairs, LATERAL (VALUES (pairs.h1, pairs.h2), (pairs.h2, pairs.h1)) v(x, y);
        ELSE
            RETURN QUERY SELECT DISTINCT v.x, v.y FROM (
                SELECT a.hazard_id AS h1, b.hazard_id AS h2
                FROM (SELECT DISTINCT unnest(hazard_ids) AS id) i
                JOIN public.hazard_revision a ON a.hazard_id = i.id
                JOIN public.hazard_revision b ON a.hazard_id <> b.hazard_id
                 AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
            ) pairs, LATERAL (VALUES (pairs.h1, pairs.h2), (pairs.h2, pairs.h1)) v(x, y);
        END IF;
    END $$
"""

REFRESH = """
    CREATE OR REPLACE FUNCTION ims_refresh_overlaps(hazard_ids integer[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        IF hazard_ids IS NULL THEN
            DELETE FROM public.hazard_overlap;
        ELSE
            DELETE FROM public.hazard_overlap o USING unnest(hazard_ids) i(id)
            WHERE o.hazard_id = i.id;
            DELETE FROM public.hazard_overlap o USING unnest(hazard_ids) i(id)
            WHERE o.other_id = i.id;
        END IF;
        INSERT INTO public.hazard_overlap (hazard_id, other_id)
        SELECT p.hazard_id, p.other_id FROM ims_overlap_pairs(hazard_ids) p
        ON CONFLICT DO NOTHING;
    END $$
"""

# As revision 0009 made them, for the downgrade.
PAIRS_0009 = """
    CREATE OR REPLACE FUNCTION ims_overlap_pairs(hazard_ids integer[])
    RETURNS TABLE (hazard_id integer, other_id integer) LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        IF hazard_ids IS NULL THEN
            RETURN QUERY SELECT DISTINCT v.x, v.y FROM (
                SELECT a.hazard_id AS h1, b.hazard_id AS h2 FROM public.hazard_revision a
                JOIN public.hazard_revision b ON a.hazard_id <> b.hazard_id
                 AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
            ) pairs, LATERAL (VALUES (pairs.h1, pairs.h2), (pairs.h2, pairs.h1)) v(x, y);
        ELSE
            RETURN QUERY SELECT DISTINCT v.x, v.y FROM (
                SELECT a.hazard_id AS h1, b.hazard_id AS h2 FROM public.hazard_revision a
                JOIN public.hazard_revision b ON a.hazard_id <> b.hazard_id
                 AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
                WHERE a.hazard_id = ANY (hazard_ids)
            ) pairs, LATERAL (VALUES (pairs.h1, pairs.h2), (pairs.h2, pairs.h1)) v(x, y);
        END IF;
    END $$
"""

REFRESH_0009 = """
    CREATE OR REPLACE FUNCTION ims_refresh_overlaps(hazard_ids integer[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        IF hazard_ids IS NULL THEN
            DELETE FROM public.hazard_overlap;
        ELSE
            DELETE FROM public.hazard_overlap
            WHERE hazard_id = ANY (hazard_ids) OR other_id = ANY (hazard_ids);
        END IF;
        INSERT INTO public.hazard_overlap (hazard_id, other_id)
        SELECT p.hazard_id, p.other_id FROM ims_overlap_pairs(hazard_ids) p
        ON CONFLICT DO NOTHING;
    END $$
"""


# CREATE OR REPLACE keeps a function's owner and grants, not its settings: 0022's again.
PRICED = "ALTER FUNCTION ims_refresh_overlaps(integer[]) SET random_page_cost = 1.1"


def upgrade() -> None:
    """Join the changed hazards' ids."""
    op.execute(PAIRS)
    op.execute(REFRESH)
    op.execute(PRICED)


def downgrade() -> None:
    """The search of the list, as revision 0009 made it."""
    op.execute(PAIRS_0009)
    op.execute(REFRESH_0009)
    op.execute(PRICED)
