"""Caps request bodies by the bytes actually received, chunked uploads included (issue #15:
a 5 MB chunked body passed a limit that read only Content-Length)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api.errors import error_body


class BodyTooLarge(HTTPException):
    """Raised while reading a body past its limit; the error handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit:,} bytes")


class BodyLimit:
    """ASGI middleware: a declared Content-Length over the limit is refused before reading;
    otherwise the received bytes are counted and reading stops at the limit (413
    `payload_too_large`, the body is never handed on whole)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self._app = app
        self._limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a byte-counting `receive`."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _refuse(BodyTooLarge(limit), scope, receive, send)
            return
        received = 0
        responded = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counted, watched)
        except BodyTooLarge as exc:  # read outside a route's error handlers
            if responded:
                raise
            await _refuse(exc, scope, receive, send)


async def _refuse(exc: BodyTooLarge, scope: Scope, receive: Receive, send: Send) -> None:
    await error_body("payload_too_large", exc.detail, exc.status_code)(scope, receive, send)
