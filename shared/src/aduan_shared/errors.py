"""One error hierarchy, each error with its HTTP status, rendered as RFC 9457 problem+json."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException

from aduan_shared.logging import get_logger

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://aduan.id/problems/"

log = get_logger(__name__)


class AduanError(Exception):
    """Base of every error the API reports; subclasses set status, slug and title."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(
        self, detail: str | None = None, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class InvalidInput(AduanError):
    status, slug, title = 422, "invalid-input", "Invalid input"


class Unauthenticated(AduanError):
    status, slug, title = 401, "unauthenticated", "Authentication required"


class Forbidden(AduanError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(AduanError):
    status, slug, title = 404, "not-found", "Not found"


class CaseNotFound(NotFound):
    slug, title = "case-not-found", "Case not found"


class TransitionNotAllowed(AduanError):
    status, slug, title = 409, "transition-not-allowed", "Transition not allowed"


class StaleVersion(AduanError):
    status, slug, title = 412, "stale-version", "Stale version"


class PayloadTooLarge(AduanError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(AduanError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class TooManyRequests(AduanError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(AduanError):
    """A dependency (broker, database) is unreachable; the client should retry later."""

    status, slug, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self, detail: str | None = None, *, retry_after_s: int = 5, **extra: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)}, **extra)


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": PROBLEM_BASE + (slug or f"http-{status}"),
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    """Render AduanError, validation errors, HTTP errors and crashes as problem+json."""

    async def aduan_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AduanError)
        return JSONResponse(
            exc.to_problem(request.url.path),
            status_code=exc.status,
            headers=exc.headers,
            media_type=PROBLEM_JSON,
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem_response(
            422, "Invalid input", detail or "invalid request", slug="invalid-input", errors=errors
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        phrase = HTTPStatus(exc.status_code).phrase
        return problem_response(
            exc.status_code,
            phrase,
            str(exc.detail or phrase),
            headers=getattr(exc, "headers", None),
        )

    async def database_unreachable(request: Request, exc: Exception) -> JSONResponse:
        # A database restarting or out of reach (AutoReconnect, ServerSelectionTimeoutError):
        # retry later, like a broker out of reach, not a crash.
        log.warning("database_unreachable", path=request.url.path, error=str(exc)[:300])
        unavailable = ServiceUnavailable("the database is unreachable; retry later")
        return await aduan_error(request, unavailable)

    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem_response(
            500, "Internal error", "an unexpected error occurred", slug="internal-error"
        )

    app.add_exception_handler(AduanError, aduan_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(ConnectionFailure, database_unreachable)
    app.add_exception_handler(Exception, crash)
