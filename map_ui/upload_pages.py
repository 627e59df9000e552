"""The upload page (``/submissions/new``) and the template's data dictionary.

The page is a form and a script (static/upload.js): the file is read by
``POST /api/v1/submissions/inspect`` for the mapping step, then sent with the mapping to
``POST /api/v1/submissions``; both with the session's CSRF token, as the review page does.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt
from markupsafe import Markup

from ims.api.auth import PrincipalDep
from ims.api.deps import SessionDep
from ims.db import reference
from ims.domain import access
from ims.domain.enums import UploadKind
from ims.ingest.fields import TEMPLATES
from ims.queries import submissions
from ims.resources import DOCS
from map_ui.rendering import error_page, page

router = APIRouter(include_in_schema=False)

# Coordinate reference systems offered for a file that declares none (any EPSG code is
# accepted too): WGS84, and the UTM zones of the programmes ims was first built for.
CRS_CHOICES = (
    ("EPSG:4326", "WGS 84 (longitude, latitude)"),
    ("EPSG:32647", "WGS 84 / UTM zone 47N"),
    ("EPSG:32648", "WGS 84 / UTM zone 48N"),
    ("EPSG:32649", "WGS 84 / UTM zone 49N"),
    ("EPSG:3857", "Web Mercator"),
)


def dictionary() -> list[dict[str, Any]]:
    """Each template's fields as the data dictionary lists them, from ingest.fields."""
    return [
        {
            "kind": kind,
            "fields": [
                {
                    "name": f.name,
                    "type": f.type.value,
                    "required": f.required.value,
                    "description": f.description,
                    "allowed": list(f.allowed),
                }
                for f in fields
            ],
        }
        for kind, fields in TEMPLATES.items()
    ]


@router.get("/submissions/new", response_class=HTMLResponse)
def new_submission_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    kind: Annotated[UploadKind, Query()] = UploadKind.HAZARDS,
    replaces: Annotated[str | None, Query(max_length=12)] = None,
) -> HTMLResponse:
    """Upload a file: choose it, its kind and organisation, match its columns to the
    template, then send it; the review page follows. ``replaces`` pre-fills the pending
    submission it replaces."""
    own = None if principal is None or access.sees_all_submissions(principal) else principal
    organisations = (
        [own.organisation]
        if own is not None and own.organisation
        else [o.name for o in reference.list_organisations(session)]
    )
    pending = submissions.submission_list(
        session, organisation_id=access.submission_filter(principal), status="validated"
    )
    # rejected ones, which a corrected file is linked to (the latest, not yet corrected)
    rejected = [
        s
        for s in submissions.submission_list(
            session,
            limit=50,
            organisation_id=access.submission_filter(principal),
            status="rejected",
        )
        if not s["corrected"]
    ]
    return page(
        request,
        "upload.html",
        active="upload",
        kinds=[k.value for k in UploadKind],
        kind=kind.value,
        organisations=organisations,
        fixed_organisation=own is not None,
        pending=pending,
        rejected=rejected,
        replaces=int(replaces) if replaces and replaces.isascii() and replaces.isdigit() else None,
        crs_choices=CRS_CHOICES,
        config={"dictionary": dictionary()},
    )


# The guides a page shows, by the name in its address, with their titles' words.
GUIDES: Final = {"migration": "migration.md"}


@router.get("/help/{name}", response_class=HTMLResponse)
def guide_page(request: Request, name: str) -> HTMLResponse:
    """A guide of the project's docs as a page: the migration guide had been in the
    repository alone, and the upload page linked nothing of it (a legacy migration's
    review, helper-99). Markdown rendered without its own HTML."""
    file = GUIDES.get(name)
    if file is None or not (DOCS / file).is_file():
        return error_page(request, 404, "No such guide", f"ims has no guide named {name!r}")
    text = (DOCS / file).read_text(encoding="utf-8")
    body = MarkdownIt("commonmark", {"html": False}).render(text)
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), name)
    return page(request, "guide.html", active="submissions", title=title, body=Markup(body))


@router.get("/submissions/dictionary", response_class=HTMLResponse)
def data_dictionary_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The exchange template's fields: meaning, type, whether required, allowed values;
    and the munition types and organisations a file may name (the list of them was on an
    administrator's page only: a new user's review)."""
    return page(
        request,
        "dictionary.html",
        active="submissions",
        templates=dictionary(),
        munitions=reference.list_munitions(session),
        organisations=[o.name for o in reference.list_organisations(session)],
    )
