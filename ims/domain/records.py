"""Value objects for what gets recorded: hazards, revisions, releases, admin areas."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod

# What a revision writes in a field to empty it: a blank cell keeps the value in force.
NONE_TEXT: Final = "(none)"


def says_none(value: Any) -> bool:
    """Whether a cell is "(none)": a revision empties its field."""
    return type(value) is str and value.strip().casefold() == NONE_TEXT


@dataclass(frozen=True)
class NewHazard:
    """A hazardous area to record (its first revision)."""

    reference: str
    status: HazardStatus
    geometry: BaseGeometry
    recorded: dt.date
    contam: Contamination = Contamination.CMR
    used_from: int | None = None
    used_to: int | None = None
    estimates: Mapping[str, int] = field(default_factory=dict)
    marked: dt.date | None = None
    operator: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)  # the upload's own columns


@dataclass(frozen=True)
class HazardChange:
    """A revision of an existing hazard, in force from ``effective``; None keeps the value."""

    reference: str
    effective: dt.date
    status: HazardStatus | None = None
    geometry: BaseGeometry | None = None
    used_from: int | None = None
    used_to: int | None = None
    estimates: Mapping[str, int] | None = None
    marked: dt.date | None = None
    operator: str | None = None
    note: str | None = None
    attributes: Mapping[str, Any] | None = None  # added to those in force (None: kept)
    # the fields it empties on purpose ("(none)" in a file; ims.ingest.fields.CLEARABLE)
    cleared: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NewRelease:
    """A land-release result to record."""

    reference: str
    hazard_reference: str
    method: ReleaseMethod
    released: dt.date
    geometry: BaseGeometry
    operator: str | None = None
    items: Mapping[str, int] = field(default_factory=dict)
    stated_area_m2: float | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)  # the upload's own columns


@dataclass(frozen=True)
class NewOutsideRelease:
    """Land released where no hazard was recorded on the date (docs/design.md §2.7)."""

    reference: str
    method: ReleaseMethod
    released: dt.date
    geometry: BaseGeometry
    contam: Contamination = Contamination.CMR
    operator: str | None = None
    items: Mapping[str, int] = field(default_factory=dict)
    stated_area_m2: float | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BoundaryFeature:
    """One administrative area read from a file. ``code`` may be None (derived later)."""

    code: str | None
    name: str
    geometry: MultiPolygon


def slug(text: str) -> str:
    """A code-friendly form of a name: letters and digits, words joined by hyphens."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "X"
