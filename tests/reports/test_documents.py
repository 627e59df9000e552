"""Every report's JSON is the document its model declares, and OpenAPI documents it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from ims.app import create_app
from ims.db.recording import load_boundaries, record_hazards, record_releases
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, NewHazard, NewRelease
from ims.reports import documents
from ims.reports.article7 import ReportScope, article4
from ims.reports.explain import COLUMNS, explain
from ims.reports.history import article7_with_history
from ims.reports.progress import Weights, article4_series, marking, priorities
from ims.reports.workplan import set_targets, workplan_report
from tests.utils import ClientAs

TODAY = dt.date(2026, 6, 1)
SCOPE = ReportScope(level=1, contam=Contamination.CMR)


def _seed(session: Session) -> None:
    """Two provinces, hazards with estimates, releases with items, targets, and a year
    finalised before a correction was recorded: every optional part of every document."""
    load_boundaries(
        session,
        [
            BoundaryFeature("P-A", "Province A", MultiPolygon([box(102, 19, 103, 20)])),
            BoundaryFeature("P-B", "Province B", MultiPolygon([box(103, 19, 104, 20)])),
        ],
        level=1,
    )
    record_hazards(
        session,
        [
            NewHazard(
                "H1",
                HazardStatus.CHA,
                box(102.1, 19.6, 102.11, 19.61),
                dt.date(2020, 1, 1),
                used_from=1965,
                used_to=1973,
                estimates={"BLU-26": 40},
                marked=dt.date(2021, 3, 1),
            ),
            NewHazard("H2", HazardStatus.SHA, box(103.5, 19.5, 103.52, 19.52), dt.date(2020, 1, 1)),
        ],
    )
    record_releases(
        session,
        [
            NewRelease(
                "R1",
                "H1",
                ReleaseMethod.CLEARED,
                dt.date(2023, 5, 1),
                box(102.1, 19.6, 102.105, 19.61),
                items={"BLU-26": 3},
            ),
            NewRelease(
                "R2",
                "H2",
                ReleaseMethod.CANCELLED,
                dt.date(2023, 7, 1),
                box(103.5, 19.5, 103.52, 19.52),
            ),
        ],
    )
    set_targets(
        session,
        [{"year": 2023, "province": "P-A", "method": "cleared", "target_m2": 50_000.0}],
        where="test",
    )
    article7_with_history(session, 2023, SCOPE, by="test", today=TODAY, finalise=True)
    record_releases(
        session,
        [
            NewRelease(
                "R3",
                "H1",
                ReleaseMethod.REDUCED,
                dt.date(2023, 9, 1),
                box(102.105, 19.6, 102.11, 19.605),
            ),
        ],
    )


def _holds(model: Any, value: Any) -> None:
    """``value`` is exactly the document ``model`` declares (no key missing, none extra)."""
    TypeAdapter(model).validate_python(value)


def test_each_report_is_the_document_its_model_declares(session: Session) -> None:
    _seed(session)
    report = article7_with_history(session, 2023, SCOPE, today=TODAY)
    assert report["history"]["corrections_count"] == 1  # the optional parts are filled
    _holds(documents.Article7Report, report)
    provisional = article7_with_history(session, 2026, SCOPE, today=TODAY)
    _holds(documents.Article7Report, provisional)
    for column in COLUMNS:
        _holds(documents.Explanation, explain(session, 2023, "P-A", column, SCOPE))
    _holds(
        documents.Article4Figures,
        article4(session, dt.date(2020, 1, 1), dt.date(2024, 1, 1), Contamination.CMR),
    )
    _holds(documents.Article4Figures, article4(session, dt.date(2020, 1, 1), TODAY, None))
    _holds(
        documents.ProgressSeries,
        article4_series(session, dt.date(2020, 1, 1), 2024, Contamination.CMR),
    )
    _holds(
        list[documents.MarkingRow], marking(session, TODAY, dt.date(2020, 6, 1), Contamination.CMR)
    )
    ranked = priorities(session, TODAY, Weights(), Contamination.CMR)
    assert ranked
    _holds(list[documents.Priority], ranked)
    _holds(documents.WorkplanReport, workplan_report(session, 2023, Contamination.CMR))


def test_a_key_a_report_does_not_declare_is_caught() -> None:
    with pytest.raises(ValueError, match="extra"):
        _holds(
            documents.Totals,
            {"remaining_m2": 1.0, "remaining_count": 1, "released_m2": 0.0, "surprise": 1},
        )


REPORT_ROUTES = {
    ("get", "/api/v1/reports/article7"): "Article7Report",
    ("post", "/api/v1/reports/article7/finalise"): "Article7Report",
    ("get", "/api/v1/reports/article7/explain"): "Explanation",
    ("get", "/api/v1/reports/article4"): "Article4Figures",
    ("get", "/api/v1/reports/progress"): "ProgressSeries",
    ("get", "/api/v1/reports/marking"): "MarkingRow",
    ("get", "/api/v1/reports/priorities"): "Priority",
    ("get", "/api/v1/reports/workplan"): "WorkplanReport",
    ("put", "/api/v1/workplans/{year}"): "WorkplanRecorded",
}


def test_openapi_documents_the_json_of_every_report(session: Session) -> None:
    spec = create_app(session.get_bind()).openapi()  # type: ignore[arg-type]
    for (method, path), name in REPORT_ROUTES.items():
        answer = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]
        assert f"#/components/schemas/{name}" in str(answer["schema"]), (path, answer)
        declared = getattr(documents, name)
        assert issubclass(declared, BaseModel)
        schema = spec["components"]["schemas"][name]
        assert set(schema["properties"]) == set(declared.model_fields)
    article7 = spec["paths"]["/api/v1/reports/article7"]["get"]["responses"]["200"]["content"]
    assert {"text/csv", "application/pdf", "text/html"} <= set(article7)


def test_the_api_answers_the_documents(session: Session, client_as: ClientAs) -> None:
    _seed(session)
    client = client_as("reviewer")  # priorities name hazards: reviewers only
    body = client.get("/api/v1/reports/article7", params={"year": 2023}).json()
    _holds(documents.Article7Report, body)
    assert body["history"]["finalised"] is True
    ranked = client.get("/api/v1/reports/priorities").json()
    _holds(list[documents.Priority], ranked)
