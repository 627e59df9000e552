"""Bulk writing with COPY: national-scale inserts without per-row statements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session


def copy_rows(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """COPY ``rows`` into ``table`` on the session's connection (inside its transaction)."""
    if not rows:
        return
    raw: Any = session.connection().connection.driver_connection
    cols = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def next_values(session: Session, sequence: str, n: int) -> list[int]:
    """Reserve ``n`` values of a sequence, in order."""
    if n == 0:
        return []
    return list(
        session.scalars(
            text("SELECT nextval(:seq) FROM generate_series(1, :n) ORDER BY 1"),
            {"seq": sequence, "n": n},
        )
    )


def identity_values(session: Session, table: str, n: int) -> list[int]:
    """Reserve ``n`` ids of a table's identity column."""
    sequence = session.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})
    return next_values(session, str(sequence), n)


def ewkb_hex(geoms: Sequence[BaseGeometry]) -> list[str]:
    """The text form COPY takes for a geometry column: ``SRID=4326;`` and hex WKB.

    The WKB's bytes are written as hex by Python: shapely's own hex output took 1.3 s
    for 142,695 polygons, against 0.2 s for the WKB and 0.1 s for ``bytes.hex``.
    """
    return [_SRID + wkb.hex() for wkb in shapely.to_wkb(list(geoms)).tolist()]


_SRID = "SRID=4326;"
