"""A real uvicorn server in a background thread, for HTTP and WebSocket tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from types import TracebackType

import httpx
import uvicorn
from fastapi import FastAPI

from tests.waiting import WAIT_S


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """Runs `app` on 127.0.0.1:<free port> until the context exits.

    `log_level` "info" writes the access log. `on_exit` runs in the server's event loop after it
    stopped: close there what holds connections made in that loop (Redis clients), which another
    loop cannot close.
    """

    def __init__(
        self,
        app: FastAPI,
        log_level: str = "warning",
        on_exit: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level=log_level)
        self._server = uvicorn.Server(config)
        self._on_exit = on_exit
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def serve() -> None:
            try:
                await self._server.serve()
            finally:
                if self._on_exit is not None:
                    await self._on_exit()

        # uvicorn's own loop (uvloop when installed), as `Server.run` would use.
        with asyncio.Runner(loop_factory=self._server.config.get_loop_factory()) as runner:
            runner.run(serve())

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"the test server did not start within {WAIT_S:.0f} s")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=WAIT_S)
