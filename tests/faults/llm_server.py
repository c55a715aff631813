"""An OpenAI-compatible chat-completions server that misbehaves on purpose (issue #15, item 6).

It speaks the real wire format (JSON, or Server-Sent Events when `stream` is true) and its
`mode` says how it fails: `hang` (never sends a byte), `drip` (a first token at once, then one
a second), `error` (HTTP 500), `cut` (a few tokens, then the connection drops) or `ok`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

Mode = Literal["hang", "drip", "error", "cut", "ok"]
ANSWER = "Refunds reach your card within 5 to 10 business days after we receive the item. [1]"


class CutOnPurpose(Exception):
    """Raised mid-stream so that uvicorn drops the connection (an incomplete chunked body)."""


@dataclass
class FaultyLLM:
    """The server's state: how it fails now, and every request body it received."""

    mode: Mode = "ok"
    requests: list[dict[str, Any]] = field(default_factory=list)
    closing: bool = False

    async def _wait(self, seconds: float) -> None:
        """Sleep, but return early when the test server shuts down."""
        for _ in range(int(seconds / 0.05)):
            if self.closing:
                return
            await asyncio.sleep(0.05)

    async def _hang(self) -> None:
        while not self.closing:
            await asyncio.sleep(0.05)

    def app(self) -> FastAPI:
        """The FastAPI app serving /v1/chat/completions (and /healthz for LiveServer)."""
        app = FastAPI()

        @app.get("/healthz")
        async def healthz() -> dict[str, str]:
            return {"status": "ok"}

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> Response:
            body = await request.json()
            self.requests.append(body)
            if self.mode == "hang":
                await self._hang()
                return Response(status_code=503)
            if self.mode == "error":
                return JSONResponse({"error": {"message": "model crashed"}}, status_code=500)
            if not body.get("stream"):
                return JSONResponse(_completion(ANSWER))
            return StreamingResponse(self._events(), media_type="text/event-stream")

        return app

    async def _events(self) -> AsyncIterator[str]:
        words = ANSWER.split(" ")
        for n, word in enumerate(words):
            if self.mode == "cut" and n == 3:
                raise CutOnPurpose("the LLM test server drops the stream here on purpose")
            if self.mode == "drip" and n > 0:
                await self._wait(1.0)
                if self.closing:
                    return
            yield _sse({"choices": [{"index": 0, "delta": {"content": word + " "}}]})
        yield _sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        yield "data: [DONE]\n\n"

    def completions(self) -> int:
        """How many chat-completion requests arrived so far."""
        return len(self.requests)


def _sse(chunk: dict[str, Any]) -> str:
    payload = {"id": "fake", "object": "chat.completion.chunk", "created": 0, "model": "fake"}
    return f"data: {json.dumps(payload | chunk)}\n\n"


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
