"""The HTTP API (FastAPI): routers per resource, dependencies, error handlers."""
