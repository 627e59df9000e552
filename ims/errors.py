"""Domain errors. Each maps to one HTTP status and problem type, registered once on the app."""

from __future__ import annotations

from typing import Any


class ImsError(Exception):
    """Base of every error ims reports to a person: a title, a detail and optional extras."""

    status_code = 500
    title = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def type_slug(self) -> str:
        """Short machine name of the problem type, used in the problem+json ``type`` URI."""
        return slug_of(type(self))


class NotFound(ImsError):
    """A requested record does not exist."""

    status_code = 404
    title = "Not found"


class NotAuthenticated(ImsError):
    """The caller has not signed in (or its token or session is no longer valid)."""

    status_code = 401
    title = "Sign-in required"


class TooManyAttempts(ImsError):
    """Too many failed sign-ins: wait before trying again."""

    status_code = 429
    title = "Too many attempts"


class Forbidden(ImsError):
    """The caller may not do this."""

    status_code = 403
    title = "Forbidden"


class Conflict(ImsError):
    """The request conflicts with the current state (e.g. a duplicate reference)."""

    status_code = 409
    title = "Conflict"


class Gone(ImsError):
    """Something the request names was kept for a while and is no longer (a held upload)."""

    status_code = 410
    title = "Gone"


class InvalidRequest(ImsError):
    """A request's parameter or body is wrong (/ogc answers 400, invalid-parameter)."""

    status_code = 422
    title = "Invalid request"


class InvalidUpload(ImsError):
    """An uploaded file cannot be used at all (corrupt, hostile, no layer…)."""

    status_code = 400
    title = "Invalid upload"


class UploadTooLarge(InvalidUpload):
    """An upload (or a request body) is over one of the limits: bytes, layers, features,
    vertices. The detail names the file, layer or feature and the limit."""

    status_code = 413
    title = "Too large"


class InvalidGeometry(ImsError):
    """A geometry is invalid, empty or of the wrong type."""

    status_code = 422
    title = "Invalid geometry"


class UnknownCode(ImsError):
    """A code (munition type, admin area, status…) is not in its reference list."""

    status_code = 422
    title = "Unknown code"


class DatabaseUnavailable(ImsError):
    """The database cannot be reached or started."""

    status_code = 503
    title = "Database unavailable"


class ServiceBusy(ImsError):
    """Every worker is busy and the queue is full: try again later (Retry-After)."""

    status_code = 503
    title = "Busy"


class TookTooLong(ImsError):
    """A job ran past its time limit and was stopped; nothing of it was kept."""

    status_code = 504
    title = "Took too long"


class SetupError(ImsError):
    """Something ims needs on the machine is missing; the detail says what to install."""

    status_code = 500
    title = "Setup error"


class InvalidParameter(ImsError):
    """A query parameter of the OGC API (/ogc) has a value it cannot take: answered 400, as
    that standard asks (the rest of the API answers a wrong parameter 422, invalid-request)."""

    status_code = 400
    title = "Invalid parameter"


def slug_of(cls: type[ImsError]) -> str:
    """The problem type's slug of an error class: ``InvalidUpload`` → ``invalid-upload``."""
    return "".join("-" + c.lower() if c.isupper() else c for c in cls.__name__).lstrip("-")
