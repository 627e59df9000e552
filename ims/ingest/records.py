"""Rows of the exchange template (docs/design.md §6) turned into the domain's records.

Each row becomes a new hazard, a revision of one or a release; the first problem stops
the reading (``InvalidRequest`` naming the feature). Uploads go through ``validate``
instead, which reports every problem rather than the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.records import HazardChange, NewHazard, NewRelease
from ims.errors import InvalidRequest
from ims.ingest.fields import blank, cell_text, parse_date, parse_quantities, parse_year


def _rows(frame: Any, key: str) -> Iterator[tuple[Any, str, str]]:
    """Each row, its reference (in ``key``) and how a message names it; none given raises."""
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        ref = cell_text(getattr(row, key))
        where = f"feature {i} ({ref or 'no ' + key})"
        if ref is None:
            raise InvalidRequest(f"{where}: {key} is required")
        yield row, ref, where


def hazard_records(frame: Any) -> Iterator[NewHazard | HazardChange]:
    """Turn a hazards frame in the template into new hazards and revisions, row by row."""
    for row, ref, where in _rows(frame, "hazard_id"):
        revised = parse_date(getattr(row, "revised", None), where=f"{where}, revised")
        status_text = cell_text(getattr(row, "status", None))
        try:
            status = HazardStatus.parse(status_text) if status_text else None
            contam = Contamination.parse(cell_text(getattr(row, "contam", None)) or "")
        except ValueError as exc:
            raise InvalidRequest(f"{where}: {exc}") from None
        estimates = parse_quantities(getattr(row, "munitions", None), where=f"{where}, munitions")
        used_from = parse_year(getattr(row, "used_from", None), where=f"{where}, used_from")
        used_to = parse_year(getattr(row, "used_to", None), where=f"{where}, used_to")
        marked = parse_date(getattr(row, "marked", None), where=f"{where}, marked")
        operator = cell_text(getattr(row, "operator", None))
        if revised is None:
            recorded = parse_date(getattr(row, "recorded", None), where=f"{where}, recorded")
            if recorded is None:
                raise InvalidRequest(f"{where}: recorded (the date it was recorded) is required")
            if status is None:
                raise InvalidRequest(f"{where}: status is required (SHA or CHA)")
            yield NewHazard(
                ref,
                status,
                row.geometry,
                recorded,
                contam,
                used_from,
                used_to,
                estimates,
                marked,
                operator,
            )
        else:
            yield HazardChange(
                ref,
                revised,
                status,
                row.geometry,
                used_from,
                used_to,
                estimates or None,
                marked,
                operator,
            )


def release_records(frame: Any) -> Iterator[NewRelease]:
    """Turn a releases frame in the template into release records, row by row."""
    for row, ref, where in _rows(frame, "release_id"):
        hazard = cell_text(getattr(row, "hazard_id", None))
        if hazard is None:
            raise InvalidRequest(f"{where}: hazard_id is required")
        try:
            method = ReleaseMethod.parse(cell_text(getattr(row, "method", None)) or "")
        except ValueError as exc:
            raise InvalidRequest(f"{where}: {exc}") from None
        released = parse_date(getattr(row, "released", None), where=f"{where}, released")
        if released is None:
            raise InvalidRequest(f"{where}: released (the completion date) is required")
        stated = getattr(row, "area_m2", None)
        yield NewRelease(
            ref,
            hazard,
            method,
            released,
            row.geometry,
            cell_text(getattr(row, "operator", None)),
            parse_quantities(getattr(row, "items", None), where=f"{where}, items"),
            None if stated is None or blank(stated) else float(stated),
        )
