"""Maps our errors and FastAPI's to `{error_code, detail}` JSON, in one place."""

from __future__ import annotations

import contextlib
import logging

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.errors import (
    BackendUnavailable,
    BotError,
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    LLMError,
    NotFound,
    RateLimited,
    StorageError,
)
from escalation.errors import (
    AlreadyClaimed,
    AuthError,
    DuplicateAgent,
    EscalationError,
    InvalidTransition,
    TicketNotFound,
)

log = logging.getLogger(__name__)

_STATUS: list[tuple[type[BotError], int, str]] = [
    (Gone, 410, "gone"),
    (NotFound, 404, "not_found"),
    (Forbidden, 403, "forbidden"),
    (RateLimited, 429, "rate_limited"),
    (StorageError, 503, "storage_unavailable"),
    (BackendUnavailable, 503, "backend_unavailable"),
    (LLMError, 503, "llm_unavailable"),
]
_ESCALATION_STATUS: list[tuple[type[EscalationError], int, str]] = [
    (AuthError, 401, "unauthorized"),
    (AlreadyClaimed, 409, "already_claimed"),
    (InvalidTransition, 409, "invalid_transition"),
    (DuplicateAgent, 409, "duplicate_agent"),
    (TicketNotFound, 404, "not_found"),
]
_INPUT_STATUS = {"message_too_long": 413}


def error_body(
    code: str, detail: str, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error response shape."""
    return JSONResponse({"error_code": code, "detail": detail}, status_code=status, headers=headers)


def describe(exc: BotError | EscalationError) -> tuple[int, str]:
    """HTTP status and error code of one of our errors."""
    if isinstance(exc, EscalationError):
        for escalation_kind, status, code in _ESCALATION_STATUS:
            if isinstance(exc, escalation_kind):
                return status, code
        return 503, "escalation_unavailable"
    if isinstance(exc, InvalidInput):
        return _INPUT_STATUS.get(exc.code, 422), exc.code
    if isinstance(exc, Conflict):
        return 409, exc.code
    for kind, status, code in _STATUS:
        if isinstance(exc, kind):
            return status, code
    return 500, "internal_error"


def error_event(exc: BotError | EscalationError) -> dict[str, str]:
    """An error as a live (WebSocket or SSE) event."""
    return {"type": "error", "error_code": describe(exc)[1], "detail": str(exc)}


async def close_live(websocket: WebSocket, exc: BotError) -> None:
    """Tell a socket that live events stopped: an error event, then close 1013 (try again
    later; clients reconnect and re-read what they may have missed)."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.send_json(error_event(exc))
        await websocket.close(code=1013, reason="live updates unavailable; reconnect later")


def _validation_detail(exc: RequestValidationError) -> tuple[str, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return "malformed_json", "the request body is not valid JSON"
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
    return "invalid_request", "; ".join(parts)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(BotError)
    async def bot_error(request: Request, exc: BotError) -> JSONResponse:
        status, code = describe(exc)
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RateLimited) else None
        if status >= 500:
            log.error("request failed: %s", exc)
        return error_body(code, str(exc), status, headers)

    @app.exception_handler(EscalationError)
    async def escalation_error(request: Request, exc: EscalationError) -> JSONResponse:
        status, code = describe(exc)
        if status >= 500:
            log.error("request failed: %s", exc)
        return error_body(code, str(exc), status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        code, detail = _validation_detail(exc)
        return error_body(code, detail, 400 if code == "malformed_json" else 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        code = codes.get(exc.status_code, "http_error")
        return error_body(code, str(exc.detail), exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return error_body("internal_error", "something went wrong on our side", 500)
