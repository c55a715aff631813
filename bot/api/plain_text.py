"""Text sent to the API must be storable text: JSON may carry a NUL ("\\u0000") or half of a
UTF-16 surrogate pair ("\\ud800"), which no UTF-8 column holds. A customer message with an
unpaired surrogate failed with 500 "the reply failed on our side" after the bot had started on
it; PostgreSQL refuses a NUL in any text column. Such a request gets 422 `invalid_text` naming
the field, before any route reads it, over HTTP and on the live sockets alike."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api.errors import error_body

_NOT_TEXT = re.compile(r"[\x00\ud800-\udfff]")


def not_text_at(value: Any, path: str = "body") -> str | None:
    """Where in a parsed JSON `value` a string (or key) holds a NUL or an unpaired surrogate
    ("body.text"), or None when every string is text."""
    if isinstance(value, str):
        return path if _NOT_TEXT.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _NOT_TEXT.search(key):
                return path
            found = not_text_at(item, f"{path}.{key}")
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = not_text_at(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def not_text_detail(path: str) -> str:
    """The error's sentence for the field at `path`."""
    return (
        f"{path} holds a character that is not text (a NUL or half of a UTF-16 surrogate "
        "pair); remove it and send again"
    )


class PlainTextBodies:
    """ASGI middleware: a JSON request body whose strings are not all text is answered 422
    `invalid_text`; any other body reaches the app unchanged. Runs inside `BodyLimit`, which
    bounds what is read here."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read a JSON body whole, check it, then hand it on."""
        if scope["type"] != "http" or not _is_json(scope):
            await self._app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self._app(scope, _replay(message, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            path = not_text_at(json.loads(body))
        except ValueError:  # malformed JSON: the route's own validation says so
            path = None
        if path is not None:
            await error_body("invalid_text", not_text_detail(path), 422)(scope, receive, send)
            return
        whole: Message = {"type": "http.request", "body": body, "more_body": False}
        await self._app(scope, _replay(whole, receive), send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


def _replay(first: Message, receive: Receive) -> Receive:
    """A `receive` that gives `first` once, then reads on."""
    pending = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
