"""``/api/v1/docs``: the API's interactive documentation, served from vendored files.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; ims
pages load nothing from the network and run no inline script (see ``ims.api.headers``),
so the page is served here with the vendored Swagger UI and a static start-up script.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

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
<nav class="ims-back" aria-label="ims">
<a href="/">← ims</a> · <a href="/account">Your account and API tokens</a> ·
<a href="/ogc">OGC API (QGIS)</a>
</nav>
<main id="swagger-ui" data-openapi-url="{openapi_url}" aria-label="API documentation"></main>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui_html(request: Request) -> HTMLResponse:
    """Swagger UI over this API's OpenAPI schema."""
    app = request.app
    return HTMLResponse(_PAGE.format(title=escape(app.title), openapi_url=escape(app.openapi_url)))
