"""The JSON documents the reports answer with (docs/design.md §7), as pydantic models.

Other tools read these shapes, so they are declared once here: the API names them as its
``response_model`` (OpenAPI documents them and every answer is checked against them), and
tests/reports/test_documents.py holds each report function's output to its model. The
report functions build plain rows (the exporters, the PDF and the pages read them as
mappings); docs/decisions/0008-report-documents.md says why.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def published(model: type[BaseModel], data: Any) -> dict[str, Any]:
    """DATA as the API answers with it under MODEL: every declared key, null where the
    report left one out. ``ims report``'s JSON had lacked a provinces table's
    ``"province": null``, which the API's gives (a review as an IM officer)."""
    return model.model_validate(data).model_dump(mode="json")


class _Document(BaseModel):
    """A part of a report: every key is declared, none may be added unannounced."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- Article 7


class RemnantEstimate(_Document):
    """Estimated remnants of one munition type in the open hazards of an area."""

    type: str = Field(description="munition type code (reference list)")
    estimated_quantity: int


class RemainingRow(_Document):
    """Form 1(h): the remaining contaminated area of one admin area (or the total)."""

    admin_code: str | None = Field(description="admin code; TOTAL for the total; null: none")
    admin_name: str
    province: str | None = Field(
        None, description="a district's province (district tables only; null otherwise)"
    )
    sha_count: int = Field(description="open suspected hazardous areas")
    sha_area_m2: float
    cha_count: int = Field(description="open confirmed hazardous areas")
    cha_area_m2: float
    total_count: int
    total_area_m2: float
    remnants: list[RemnantEstimate]
    years_of_use: list[int] = Field(description="[first, last] year of use; empty: unknown")


class DestroyedItem(_Document):
    """Items of one type found and destroyed by the releases of the period."""

    type: str
    quantity: int
    cmr: bool = Field(description="a cluster munition remnant")


class ReleasedRow(_Document):
    """Form 1(i): land released in the year in one admin area (or the total), by method."""

    admin_code: str | None
    admin_name: str
    province: str | None = Field(
        None, description="a district's province (district tables only; null otherwise)"
    )
    cancelled_m2: float = Field(description="by non-technical survey")
    reduced_m2: float = Field(description="by technical survey")
    cleared_m2: float = Field(description="by clearance")
    total_m2: float
    hazards_closed: int = Field(
        description="hazards whose last square metre was released (each once a year)"
    )
    destroyed: list[DestroyedItem]
    released_outside_hazards_m2: float = Field(
        description="land released where no hazard was recorded (docs/design.md §2.7): "
        "counted apart, not in the totals above"
    )


class Overlap(_Document):
    """Where recorded hazards overlap, the ground the total counts twice (docs/design.md §2.6)."""

    total_area_m2: float
    dissolved_area_m2: float = Field(description="the union of the open hazards")
    double_counted_m2: float
    released_twice_m2: float = Field(
        default=0.0,
        description="how much the year's released totals count beyond the ground released: "
        "ground shared by overlapping hazards is counted for each (docs/design.md §2.6)",
    )


class Totals(_Document):
    """The national figures a report was produced with."""

    remaining_m2: float
    remaining_count: int
    released_m2: float
    released_outside_m2: float | None = Field(
        None,
        description="land released outside recorded hazards (Form 1(i)); null in the totals "
        "of a report finalised before ims kept it",
    )


class Correction(_Document):
    """A revision or release recorded after finalisation, with effect in the report's year."""

    what: str = Field(
        description="hazard recorded, hazard revision, release, release withdrawn, hazard "
        "withdrawn, released outside hazards, outside release withdrawn, or ledger computed "
        "again (the hazard's area ledger computed again from its records by ims db recompute, "
        "no record added; dated the day it was done)"
    )
    hazard: str | None = Field(
        description="its reference (none where locations are generalised, or for land "
        "released outside recorded hazards)"
    )
    release: str | None
    detail: str | None = Field(
        description="the status, the method or the reason withdrawn (no reason where "
        "locations are generalised)"
    )
    on: str = Field(description="the date it takes effect (ISO 8601)")
    recorded_at: str = Field(description="when (the day only where locations are generalised)")
    recorded_by: str | None = Field(description="who approved it")
    sent_by: str | None = Field(
        None, description="who sent it for review, with the organisation it was for"
    )
    submission_id: int | None


class ChangeSince(_Document):
    """How much the figures moved since finalisation."""

    remaining_m2: float
    released_m2: float
    released_outside_m2: float | None = Field(
        None,
        description="land released outside recorded hazards (Form 1(i), counted apart); "
        "null for a report finalised before ims kept it",
    )


class CountsSince(_Document):
    """How far the counts moved since finalisation; null where the finalisation kept none."""

    remaining_count: int | None = Field(description="hazards remaining (Form 1(h))")
    hazards_closed: int | None = Field(
        description="hazards closed (Form 1(i)); null for a report finalised before ims "
        "kept it whole"
    )
    destroyed: dict[str, int] | None = Field(
        description="items destroyed, by type, those that moved (Form 1(i))"
    )


class ReportHistory(_Document):
    """When a year's report was finalised, and what was corrected since (docs/design.md §3)."""

    provisional: bool = Field(description="the year has not ended")
    finalised: bool
    first_produced_at: str | None
    first_produced_by: str | None
    corrections_count: int
    corrections: list[Correction] = Field(description="the first 200, in recording order")
    totals_then: Totals | None
    totals_now: Totals
    change_m2: ChangeSince | None
    change_counts: CountsSince | None = Field(
        None, description="how far the counts moved (not for the report as finalised)"
    )
    kept_whole: bool = Field(
        False, description="the whole report was kept when finalised (as_finalised gives it)"
    )
    as_finalised: bool = Field(
        False, description="these tables are the report as finalised, not today's figures"
    )
    notes_then: dict[str, Any] | None = Field(
        None, description="as finalised: the notes its files carried then"
    )


class Article7Report(_Document):
    """The Article 7 report of a calendar year: Form 1(h) and Form 1(i)."""

    year: int
    as_of: str = Field(description="31 December of the year (ISO 8601)")
    contam: str
    level: int = Field(description="1 provinces, 2 districts")
    remaining: list[RemainingRow] = Field(description="one row per admin area, then TOTAL")
    released: list[ReleasedRow] = Field(description="one row per admin area, then TOTAL")
    overlap: Overlap
    history: ReportHistory | None = None


class Contribution(_Document):
    """One hazard's or release's part of a figure."""

    # none for a record of land released outside recorded hazards: the explanation of
    # that column had answered 500 through the API (an attack on our own instance)
    hazard: str | None = None
    status: str | None = None
    release: str | None = None
    method: str | None = None
    date: str | None = None
    value: float


class Explanation(_Document):
    """The contributions that make one figure of the Article 7 report; they sum to it."""

    year: int
    admin_code: str
    column: str
    level: int
    contam: str
    contributions: list[Contribution]
    total: float


# --------------------------------------------------------------------------- Article 4


class ReleasedByMethod(_Document):
    """Area released by each method, and together."""

    cancelled: float
    reduced: float
    cleared: float
    total: float


class Article4Figures(_Document):
    """Article 4.6(d)–(f): the area at the baseline, added since, released since, remaining."""

    baseline: str
    as_of: str
    contam: str = Field(description="a contamination kind, or all")
    area_at_baseline_m2: float
    added_since_m2: float
    released_since_m2: ReleasedByMethod
    remaining_m2: float


class ProgressYear(_Document):
    """One year of the Article 4 series."""

    year: int
    added_m2: float
    released_m2: ReleasedByMethod
    remaining_end_m2: float


class ProgressSeries(_Document):
    """Article 4 progress year by year since the baseline (conservation holds each year)."""

    baseline: str
    contam: str
    area_at_baseline_m2: float
    years: list[ProgressYear]


# --------------------------------------------------------------------------- actions 18, 19, 23


class MarkingRow(_Document):
    """Action 18: marking of the open hazards of one province (or the total)."""

    admin_code: str | None
    admin_name: str
    open_hazards: int
    marked_hazards: int
    remaining_m2: float
    marked_m2: float
    not_surveyed_since_baseline: int
    marked_hazard_share: float
    marked_area_share: float


class Priority(_Document):
    """Action 23: an open hazard's priority score, with the factors that make it."""

    rank: int
    reference: str
    status: str
    province: str
    remaining_m2: float
    estimated_cmr: int
    last_activity: str | None
    score: float
    f_cha: float
    f_area: float
    f_remnants: float
    f_idle: float


class WorkplanLine(_Document):
    """Action 19: a province's target for one method against what was released."""

    admin_code: str
    admin_name: str
    method: str
    target_m2: float | None
    actual_m2: float
    achieved: float | None = Field(description="actual / target; null without a target")


class TargetTotals(_Document):
    """The year's targets and releases together."""

    target_m2: float
    actual_m2: float


class Projection(_Document):
    """When the remaining area would be released at the recent mean rate."""

    rate_years: list[int]
    rate_m2_per_year: float
    remaining_m2: float
    projected_completion_year: int | None
    deadline: str
    on_track: bool | None
    assumptions: str


class WorkplanReport(_Document):
    """Action 19: the year's targets against actual releases, and the projection."""

    year: int
    contam: str
    lines: list[WorkplanLine]
    total: TargetTotals
    projection: Projection


class WorkplanRecorded(_Document):
    """The answer to recording a work plan."""

    year: int
    recorded: int
