"""WebSocket authentication by a first message, so no secret is put in a URL (issue 15, item 8).

URLs end up in access logs, proxy logs and browser histories; a token sent as the first
message does not. The client opens the socket, then sends `{"type": "auth", "token": "..."}`.
"""

from __future__ import annotations

import contextlib

import anyio
from fastapi import WebSocket, WebSocketDisconnect

UNAUTHENTICATED = 4401
"""Close code: no auth message (or a malformed one) came in time."""
FORBIDDEN = 4403
"""Close code: the token is wrong or expired."""
NOT_FOUND = 4404
"""Close code: what the socket is about does not exist."""
_MAX_REASON_BYTES = 123  # RFC 6455: a close frame's payload is at most 125 bytes


async def socket_token(websocket: WebSocket, timeout_s: float) -> str | None:
    """Accept the socket and return the token of its first message `{"type": "auth", "token"}`.

    The deprecated `?token=` query parameter of older clients is still read (the access log
    redacts it). Returns None after closing the socket with 4401 when no auth message came
    within `timeout_s`, and when the client went away.
    """
    await websocket.accept()
    legacy = websocket.query_params.get("token")
    if legacy:
        return legacy
    data: object = None
    try:
        with anyio.fail_after(timeout_s):
            data = await websocket.receive_json()
    except WebSocketDisconnect:
        return None
    except (TimeoutError, ValueError, KeyError):  # silent, not JSON, or a binary frame
        pass
    token = data.get("token") if isinstance(data, dict) and data.get("type") == "auth" else None
    if isinstance(token, str) and token:
        return token
    await reject(websocket, UNAUTHENTICATED, 'send {"type": "auth", "token": "..."} first')
    return None


async def reject(websocket: WebSocket, code: int, reason: str) -> None:
    """Close an accepted socket with `code` and `reason` (cut to what a close frame holds)."""
    cut = reason.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.close(code=code, reason=cut)
