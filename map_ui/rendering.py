"""Templates and how a page is rendered: every page knows who is signed in."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.responses import Response

from ims.api.auth import masked_csrf
from ims.config import get_settings
from ims.domain import as_of
from ims.domain.enums import Contamination, Role
from ims.resources import version_string
from ims.words import counted
from map_ui.style import legend

HERE = Path(__file__).resolve().parent


def _who(request: Request) -> dict[str, Any]:
    """The signed-in user (or None), their CSRF token and what the navigation offers them."""
    principal = getattr(request.state, "principal", None)
    role = principal.role if principal is not None else None
    return {
        "user": principal,
        "csrf_token": (
            masked_csrf(principal.csrf_token)  # a new pad each page (BREACH)
            if principal is not None and principal.csrf_token
            else None
        ),
        "can_upload": role in (Role.OPERATOR, Role.REVIEWER, Role.ADMIN),
        "can_review": role in (Role.REVIEWER, Role.ADMIN),
        "is_admin": role is Role.ADMIN,
        "can_read": principal is not None or get_settings().public_read,
        "generalised": get_settings().location_privacy and role in (None, Role.VIEWER),
        "cell_km": f"{get_settings().generalise_m / 1000:g}",
    }


templates = Jinja2Templates(directory=HERE / "templates", context_processors=[_who])
templates.env.globals.update(
    version=version_string(),
    legend=legend(),
    # a kind of contamination in words where a reader sees it (the map's figures said "CMR")
    contam_labels={c.value: c.label for c in Contamination},
    # the earliest date a page shows a state for (ims.domain.as_of), its date fields' min
    earliest=as_of.EARLIEST.isoformat(),
)


def path_part(value: object) -> str:
    """A value as one part of an address: "/" quoted as well. Jinja's ``urlencode`` keeps
    "/", so a reference "AT-13/." linked its page to AT-13's, whose buttons then revised or
    withdrew AT-13 (an attack on our own instance); it now means this filter."""
    if isinstance(value, dict) or (not isinstance(value, str) and hasattr(value, "__iter__")):
        return urlencode(value)  # type: ignore[arg-type]
    return quote(str(value), safe="")


templates.env.filters["urlencode"] = path_part
templates.env.filters["km2"] = lambda m2: f"{(m2 or 0) / 1e6:,.3f}"
templates.env.filters["m2"] = lambda m2: f"{round(m2 or 0) or 0:,}"  # never "-0"
templates.env.filters["thousands"] = lambda n: f"{(n or 0):,}"


templates.env.filters["counted"] = counted  # "1 error", "2 errors", not "1 error(s)"


def some_m2(m2: float | None) -> str:
    """Square metres to the metre, where ground that is there never reads as none: a
    sliver a submission adds or releases in a province (under half a square metre) is
    "< 1", or "> -1" if taken away."""
    value = m2 or 0.0
    whole = round(value)
    if value and not whole:
        return "< 1" if value > 0 else "> -1"
    return f"{whole:,}"


templates.env.filters["some_m2"] = some_m2


def change_m2(effect: Any) -> str:
    """A province's change to the remaining area in a review's preview. Where revisions
    are in it the change is a difference of boundaries, and under half a square metre it
    is the noise of a boundary sent back as it was (a walk-through read "> -1" beside
    "0 m²" in the sentence above): it reads 0 there, and "< 1" only for new ground."""
    if effect.revised_m2 or effect.replaced_m2:
        return f"{round(effect.change_m2) or 0:,}"
    return some_m2(effect.change_m2)


templates.env.filters["change_m2"] = change_m2


def status_label(status: str, partial: bool = False) -> str:
    """A submission's status as its sender reads it: "validated" read as passed, though a
    file with errors is validated too (its checks are done)."""
    if status == "validated":
        return "awaiting review"
    if status == "approved" and partial:
        return "approved in part"
    return status


templates.env.filters["status_label"] = status_label


# A command-line option and its value in a message ("--crs EPSG:32648"): kept on one
# line, for a line broken at its hyphens reads as two words (the review page at 390 px
# had "-" at one line's end and "-crs EPSG:32648" on the next)
# (a value of at most 40 characters: a longer one kept whole had widened the page to 2,166 px:
# helper-118)
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*(?: [^\s,;()]{1,40}(?![^\s,;()]))?")


def options_whole(message: str) -> Markup:
    """A message as text, each command-line option in it kept on one line. Found in the
    text and escaped after: found in the escaped text, an option's value had ended inside
    "&lt;" and shown as "<;" (helper-117)."""
    parts: list[Markup] = []
    last = 0
    for found in _OPTION.finditer(message):
        parts.append(escape(message[last : found.start()]))
        parts.append(Markup('<span class="whole">%s</span>') % found.group(0))
        last = found.end()
    parts.append(escape(message[last:]))
    return Markup("").join(parts)


templates.env.filters["options_whole"] = options_whole


_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})[T ]00:00:00(?:\.0+)?")


# The characters of a staged value a review's table shows: a file's own column may hold a
# spreadsheet cell's 32,767 in each feature, 100 features a page (the findings' files and
# the API give it whole).
STAGED_SHOWN = 500


def staged_cell(value: object) -> str:
    """A staged value as the review shows it: a file's date field (read as a date-time at
    midnight) as its date, "2014-06-03" not "2014-06-03T00:00:00"; nothing as nothing; a
    long text cut, with its length said."""
    if value is None:
        return ""
    text = str(value)
    whole = _MIDNIGHT.fullmatch(text)
    if whole:
        return whole.group(1)
    if len(text) > STAGED_SHOWN:
        return f"{text[:STAGED_SHOWN]}… ({len(text):,} characters in all)"
    return text


templates.env.filters["staged"] = staged_cell


# The names an audit event's fields are stored under, as a reader reads them (the trail
# had shown "no", "area_m2", "counted_m2": a review as an IM officer). Stored as they were:
# the events are sealed in a chain.
AUDIT_LABELS = {
    "no": "record no.",
    "revision": "revision no.",
    "effective": "takes effect",
    "released": "released on",
    "area_m2": "area m²",
    "counted_m2": "counted m²",
    "remaining_m2": "remaining m²",
    "used_from": "used from",
    "used_to": "used to",
    "estimates": "munitions estimate",
    "with_submission": "with its submission",
    "sent_before_unchanged": "sent before, unchanged",
    "unchanged_left_out": "left out, unchanged",
}


# Fields a reader reads in this order, whatever order the database keeps them in (jsonb
# orders keys by length: "used to" had come four lines before "used from", helper-112).
AUDIT_ORDER = {key: n for n, key in enumerate(("used_from", "used_to", "estimates"))}


def audit_fields(values: object) -> list[tuple[str, str]]:
    """An audit event's before or after as its fields read: (label, value) in the order
    stored (the years and the estimate last, in their order), areas with their thousands,
    a scalar as it is and a list or an object in words. The trail had shown the JSON
    itself (a new user's review)."""
    if not isinstance(values, dict):
        return [("", json.dumps(values, ensure_ascii=False))]
    ordered = sorted(values.items(), key=lambda item: AUDIT_ORDER.get(str(item[0]), -1))
    return [
        (AUDIT_LABELS.get(str(key), str(key)), _audit_value(key, value)) for key, value in ordered
    ]


def _audit_value(
    key: object, value: object, *, inner: bool = False, in_object: bool = False
) -> str:
    """A field's value as words: an empty list "none", a list one item after another, an
    object its fields (a withdrawal's trail had read ``recounted []``, a new user's
    review), a number of m² with its thousands. Inside a list or an object a text that is
    not one plain word is quoted, as is a key that is not, and an object inside an object
    is put in brackets: an uploader's words (a value map's "Other SHA, constants contam
    APM") could otherwise read as more of the event's fields (helper-91)."""
    if value is None:
        return "—"
    if key == "status" and value == "validated":
        return "awaiting review"  # as every other page says it (helper-97)
    if isinstance(value, str):
        return _word(value) if inner else value
    if str(key).endswith("_m2") and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.1f}"
    if isinstance(value, list):
        if not value:
            return "none"
        apart = "; " if any(isinstance(item, dict) for item in value) else ", "
        return apart.join(_audit_value(key, item, inner=True) for item in value)
    if isinstance(value, dict):
        if not value:
            return "none"
        fields = ", ".join(
            f"{_audit_key(k, labelled=not in_object)} "
            f"{_audit_value(k, v, inner=True, in_object=True)}"
            for k, v in value.items()
        )
        return f"({fields})" if in_object and _nested(value) else fields
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


_PLAIN_WORD = re.compile(r"[\w.:/+@-]+")


def _word(text: str) -> str:
    """A text inside a list or an object: as it is if one plain word, quoted otherwise."""
    return text if _PLAIN_WORD.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _audit_key(key: object, *, labelled: bool) -> str:
    """An object's key: its label if the trail has one and the object is one of the
    event's own (``labelled``: not one inside another, such as a mapping's value map,
    whose keys are an uploader's codes: "released" had read "released on"; helper-92),
    else the key as a plain word."""
    name = str(key)
    return (AUDIT_LABELS.get(name) if labelled else None) or _word(name)


def _nested(value: dict[Any, Any]) -> bool:
    """Whether an object inside another needs brackets: one of more than one field, or of
    an object itself."""
    return len(value) > 1 or any(isinstance(v, dict | list) for v in value.values())


def audit_action(action: str) -> str:
    """An audit event's action as words: "hazard.recorded" reads "hazard recorded"."""
    return action.replace(".", " ").replace("_", " ")


templates.env.filters["audit_fields"] = audit_fields
templates.env.filters["audit_action"] = audit_action


_versions: dict[str, str] = {}


def static_url(path: str) -> str:
    """The address of a static file, with a fingerprint of its content.

    Browsers may keep a fingerprinted file for a year (see ``CachedStatic``): a changed
    file has a new address, so no one is served yesterday's script.
    """
    version = _versions.get(path)
    if version is None:
        version = hashlib.sha256((HERE / "static" / path).read_bytes()).hexdigest()[:12]
        _versions[path] = version
    return f"/static/{path}?v={version}"


class CachedStatic(StaticFiles):
    """Static files: kept a year when asked for by fingerprint, revalidated otherwise."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        """The file, with how long a browser may keep it."""
        response = super().file_response(*args, **kwargs)
        scope = kwargs.get("scope", args[2] if len(args) > 2 else {})
        fingerprinted = b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if fingerprinted else "no-cache"
        )
        return response


def query(request: Request, **changes: Any) -> str:
    """The request's query string with ``changes`` applied (None removes a parameter)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return urlencode(params)


templates.env.globals["query"] = query
templates.env.globals["static_url"] = static_url


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` for ``request``."""
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(
    request: Request,
    status: int,
    title: str,
    detail: str,
    back: tuple[str, str] | None = None,
    suggestions: list[tuple[str, str]] | None = None,
) -> HTMLResponse:
    """The HTML face of an error, for people browsing the pages; ``back``: the address and
    name of the page the error came from, to go back to; ``suggestions``: addresses and
    names of what was perhaps meant (a hazard's reference mistyped)."""
    return page(
        request,
        "error.html",
        status,
        title=title,
        detail=detail,
        status=status,
        back=back,
        suggestions=suggestions or [],
    )
