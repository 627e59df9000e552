"""Who may use which route: the one permission table of the API and the pages.

Every route of the app is listed here by its route name (the function's name); a route
without a rule is refused to everyone, and tests/api/test_permissions.py fails on it.
Rules:

- ``public``: anyone, signed in or not (the sign-in page, static files, the API schema).
- ``roles``: signed-in users with one of these roles; others get 403, anonymous callers 401
  (the pages send them to the sign-in page).
- ``readable``: with ``IMS_PUBLIC_READ`` on, anonymous callers may also use it, as viewers.
- ``browser_only``: signed in on the web, not with an API token (one's own account, and
  the accounts of others).

Finer rules live with the data, not here: operators see only their own organisation's
submissions, and with ``IMS_LOCATION_PRIVACY`` viewers see only generalised locations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ims.domain.enums import Role


@dataclass(frozen=True)
class Rule:
    """The roles that may use a route."""

    roles: frozenset[Role]
    public: bool = False
    readable: bool = False
    # signed in on the web only, not with an API token: a leaked script's token could
    # otherwise guess and change its owner's password (found by an attack on our instance)
    browser_only: bool = False

    def allows(self, role: Role | None) -> bool:
        """Whether a caller with ``role`` (None: not signed in) may use the route."""
        return self.public or (role is not None and role in self.roles)


EVERYONE = Rule(frozenset(), public=True)
SIGNED_IN = Rule(frozenset(Role))
IN_BROWSER = Rule(frozenset(Role), browser_only=True)  # one's own account
READ = Rule(frozenset(Role), readable=True)  # figures, maps, reports
UPLOAD = Rule(frozenset({Role.OPERATOR, Role.REVIEWER, Role.ADMIN}))
REVIEW = Rule(frozenset({Role.REVIEWER, Role.ADMIN}))
# a sender's own act: a reviewer rejects, with a reason for the operator (a reviewer's
# "withdrawal" of another organisation's upload had needed none: an attack on ours)
OPERATOR = Rule(frozenset({Role.OPERATOR}))
ADMIN = Rule(frozenset({Role.ADMIN}))
# accounts: a leaked admin token could otherwise add an admin and, signed in as that one,
# set every admin's password (found by a third attack on our own instance); scripts use
# the `ims users` command on the server
ADMIN_IN_BROWSER = Rule(frozenset({Role.ADMIN}), browser_only=True)

PERMISSIONS: dict[str, Rule] = {
    # framework and static files
    "openapi": EVERYONE,
    "swagger_ui_html": EVERYONE,
    "static": EVERYONE,
    "favicon": EVERYONE,  # no icon, said with a 204
    # API: service
    "health": EVERYONE,
    "who_am_i": SIGNED_IN,
    # API: reports
    "get_article7": READ,
    "get_explanation": REVIEW,  # names hazards and their areas one by one
    "finalise_article7": REVIEW,
    "finalise_report": REVIEW,
    "get_article4": READ,
    "get_progress": READ,
    "get_marking": READ,
    "get_priorities": REVIEW,  # names hazards, with their locations
    "get_workplan": READ,
    "put_workplan": REVIEW,
    # API: hazards (geometries withheld where locations are generalised)
    "get_hazard": READ,
    # API: uploads and review
    "create_submission": UPLOAD,
    "read_submission": UPLOAD,  # operators: their own organisation's only
    "get_findings_file": UPLOAD,  # likewise
    "approve_submission": REVIEW,
    "reject_submission": REVIEW,
    "withdraw_submission": OPERATOR,  # their own organisation's only
    "note_submission": REVIEW,
    "get_template": SIGNED_IN,
    "get_field_form": SIGNED_IN,
    "inspect_submission": UPLOAD,  # operators: for their own organisation only
    "clear_mapping": UPLOAD,  # likewise
    "list_mappings": UPLOAD,  # likewise: an operator's own organisation's
    "read_progress": UPLOAD,  # the caller's own upload's or approval's steps only
    # API: reference lists (uploads are checked against them)
    "list_munitions": SIGNED_IN,
    "add_munition": ADMIN,
    "list_organisations": SIGNED_IN,
    "add_organisation": ADMIN,
    # API: map tiles (generalised for viewers with location privacy)
    "get_tile": READ,
    "get_submission_tile": UPLOAD,  # operators: their own organisation's only
    "get_tile_style": READ,  # as the tiles it draws
    "get_tilejson": READ,  # likewise
    # API: land released outside recorded hazards (references, by date)
    "list_outside_releases": REVIEW,
    "make_hazard_of_outside_release": REVIEW,
    "get_outside_withdrawal_effect": REVIEW,
    "withdraw_outside_release": REVIEW,
    # API: the audit trail
    "list_audit_events": ADMIN,
    # OGC API - Features at /ogc (as the tiles: hazards generalised for viewers with
    # location privacy, and no boundaries or releases for them)
    "ogc_landing": READ,
    "ogc_conformance": READ,
    "ogc_api": READ,
    "ogc_collections": READ,
    "ogc_collection": READ,
    "ogc_schema": READ,
    "ogc_feature_schema": READ,
    "ogc_queryables": READ,
    "ogc_items": READ,
    "ogc_item": READ,
    # …and under a dated landing page (/ogc/on/YYYY-MM-DD), the same
    "ogc_landing_on": READ,
    "ogc_conformance_on": READ,
    "ogc_api_on": READ,
    "ogc_collections_on": READ,
    "ogc_collection_on": READ,
    "ogc_schema_on": READ,
    "ogc_feature_schema_on": READ,
    "ogc_queryables_on": READ,
    "ogc_items_on": READ,
    "ogc_item_on": READ,
    # API: one hazard or release recorded or corrected, staged as a submission for review
    "record_hazard": UPLOAD,
    "revise_hazard": UPLOAD,
    "record_release": UPLOAD,
    "preview_release": UPLOAD,
    "read_polygon": UPLOAD,  # the record forms draw pasted coordinates as they are pasted
    # pages
    "login_page": EVERYONE,
    "problem_types_page": EVERYONE,  # what the API's error types mean: no data
    "problem_type_page": EVERYONE,
    "login": EVERYONE,
    "sign_out_page": EVERYONE,  # asks a signed-in user; sends anyone else to sign in
    "logout": SIGNED_IN,
    "account_page": IN_BROWSER,
    "change_own_password": IN_BROWSER,
    "make_own_token": IN_BROWSER,
    "revoke_own_token": IN_BROWSER,
    "dashboard_page": READ,
    "map_page": READ,
    "map_figures": READ,
    "map_find": READ,
    "hazard_page": READ,
    "reports_page": READ,
    "outside_releases_page": REVIEW,
    "withdraw_outside_page": REVIEW,
    "withdraw_outside_form": REVIEW,
    "make_hazard_page": REVIEW,
    "submissions_page": UPLOAD,
    "new_hazard_page": UPLOAD,  # record or correct one hazard: a one-feature submission
    "record_hazard_page": UPLOAD,
    "revise_hazard_page": UPLOAD,
    "revise_hazard_form": UPLOAD,
    "new_release_page": UPLOAD,
    "record_release_page": UPLOAD,
    "submission_page": UPLOAD,
    "withdraw_submission_form": OPERATOR,  # their own organisation's only
    "withdraw_releases_page": REVIEW,  # every release of an approved submission
    "withdraw_releases_form": REVIEW,
    "users_page": ADMIN_IN_BROWSER,
    "add_user": ADMIN_IN_BROWSER,
    "change_user": ADMIN_IN_BROWSER,
    "audit_page": ADMIN,
    "reference_page": ADMIN,
    "add_reference": ADMIN,
    "new_submission_page": UPLOAD,
    "data_dictionary_page": SIGNED_IN,
    "guide_page": SIGNED_IN,  # the migration guide, linked from the upload page
    # API: the hazard register and releases (no geometries or references where locations
    # are generalised; files not at all there)
    "list_hazards": READ,
    "export_hazards": READ,
    "list_releases": READ,
    "export_releases": READ,
    # API: withdrawing a release recorded in error (what it would change, then doing it)
    "get_withdrawal_effect": REVIEW,
    "withdraw_release": REVIEW,
    # ... every release of a submission approved in error
    "get_releases_withdrawal_effect": REVIEW,
    "withdraw_submission_releases": REVIEW,
    # ... and a hazard recorded in error (a duplicate)
    "get_hazard_withdrawal_effect": REVIEW,
    "withdraw_hazard": REVIEW,
    # pages: the hazard register
    "register_page": READ,
}


def rule_for(route_name: str) -> Rule | None:
    """The rule of a route, or None when the table has none (the route is refused)."""
    return PERMISSIONS.get(route_name)


@dataclass(frozen=True)
class RouteInfo:
    """A route of the app as the permission table sees it."""

    name: str
    methods: frozenset[str]
    path: str


def routes_of(app: Any) -> list[RouteInfo]:
    """Every route of ``app`` with its full path, through included routers."""
    found: list[RouteInfo] = []

    def walk(routes: Any, prefix: str) -> None:
        for route in routes:
            original = getattr(route, "original_router", None)
            if original is not None:  # FastAPI's included router: the prefix is kept apart
                walk(original.routes, prefix + (route.include_context.prefix or ""))
                continue
            methods = frozenset(getattr(route, "methods", None) or ()) - {"HEAD"}
            found.append(RouteInfo(route.name, methods, prefix + route.path))

    walk(app.routes, "")
    return found
