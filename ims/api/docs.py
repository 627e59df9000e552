"""``/api/v1/docs``: the API's interactive documentation, served from vendored files.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; ims
pages load nothing from the network and run no inline script (see ``ims.api.headers``),
so the page is served here with the vendored Swagger UI and a static start-up script.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ims.api.auth import PrincipalDep
from ims.config import get_settings

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API · ims</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<link rel="stylesheet" href="/static/api-docs.css">
<link rel="icon" href="data:,">
</head>
<body>
<nav class="ims-back" aria-label="ims">{back}</nav>
<main id="swagger-ui" data-openapi-url="{openapi_url}" aria-label="API documentation"></main>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui_html(request: Request, principal: PrincipalDep) -> HTMLResponse:
    """Swagger UI over this API's OpenAPI schema, with a way back to the pages: the app and
    the account page, where tokens are made; a stranger is offered to sign in instead (the
    pages they could not open had sent them there)."""
    app = request.app
    if principal is not None:
        back = '<a href="/">← ims</a> · <a href="/account">Your account and API tokens</a>'
    else:
        back = (
            '<a href="/">← ims</a> · ' if get_settings().public_read else ""
        ) + '<a href="/login?next=%2Faccount">Sign in</a> to make an API token'
    return HTMLResponse(
        _PAGE.format(title=escape(app.title), openapi_url=escape(app.openapi_url), back=back)
    )
