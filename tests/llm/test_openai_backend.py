"""OpenAIChatModel against a real llama.cpp server, a closed port and a flaky stub server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import anyio
import pytest

from bot.errors import LLMError, LLMTimeout
from bot.llm.backends.openai_compatible import OpenAIChatModel
from tests.live_server import free_port
from tests.llm.conftest import MODEL

QUESTION = [
    {"role": "system", "content": "Answer in one short sentence using only the source."},
    {
        "role": "user",
        "content": "Source: The password reset link is valid for 30 minutes and works once.\n"
        "Question: How long is the password reset link valid?",
    },
]


def chat_model(base_url: str, *, timeout_s: float = 60, max_retries: int = 0) -> OpenAIChatModel:
    return OpenAIChatModel(
        base_url=base_url,
        api_key="",
        model=MODEL,
        timeout_s=timeout_s,
        max_retries=max_retries,
        temperature=0.0,
    )


def complete(model: OpenAIChatModel, max_tokens: int = 40) -> str:
    async def run() -> str:
        try:
            return await model.complete(QUESTION, max_tokens=max_tokens)
        finally:
            await model.aclose()

    return anyio.run(run)


def stream(model: OpenAIChatModel, max_tokens: int = 40) -> list[str]:
    async def run() -> list[str]:
        try:
            return [piece async for piece in model.stream(QUESTION, max_tokens=max_tokens)]
        finally:
            await model.aclose()

    return anyio.run(run)


@pytest.mark.llm
def test_complete_answers_from_the_source(llm_server: str) -> None:
    answer = complete(chat_model(llm_server))
    # The GGUF's chat template is applied: the model answers the question, not babbles.
    assert "30 minutes" in answer


@pytest.mark.llm
def test_stream_yields_pieces_that_join_to_the_answer(llm_server: str) -> None:
    pieces = stream(chat_model(llm_server))
    assert len(pieces) >= 3
    assert all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces).strip()


@pytest.mark.llm
def test_tiny_timeout_raises_llm_timeout(llm_server: str) -> None:
    with pytest.raises(LLMTimeout, match="did not answer in time"):
        complete(chat_model(llm_server, timeout_s=0.001), max_tokens=4)


@pytest.mark.llm
def test_tiny_timeout_while_streaming_raises_llm_timeout(llm_server: str) -> None:
    with pytest.raises(LLMTimeout):
        stream(chat_model(llm_server, timeout_s=0.001), max_tokens=4)


def test_dead_endpoint_raises_a_readable_llm_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(LLMError) as caught:
        complete(chat_model(url))
    assert not isinstance(caught.value, LLMTimeout)
    assert str(caught.value).startswith(f"cannot reach the LLM at {url}")


def test_dead_endpoint_while_streaming_raises_llm_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(LLMError, match="cannot reach the LLM"):
        stream(chat_model(url))


COMPLETION = {
    "id": "chatcmpl-stub",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": MODEL,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "The link is valid for 30 minutes."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18},
}


class FlakyHandler(BaseHTTPRequestHandler):
    """Answers 503 to the first `failures` POSTs, then a valid chat completion."""

    failures: ClassVar[int] = 2
    posts: ClassVar[list[str]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        with self.lock:
            self.posts.append(self.path)
            seen = len(self.posts)
        if seen <= self.failures:
            self._send(503, {"error": {"message": "overloaded", "type": "server_error"}})
        else:
            assert body["model"] == MODEL
            self._send(200, COMPLETION)

    def _send(self, status: int, payload: dict[str, object]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("retry-after-ms", "10")  # keep the SDK's backoff short
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def flaky_server() -> Iterator[tuple[str, list[str]]]:
    """A stdlib HTTP server that fails twice with 503, then answers; yields (url, posts)."""
    FlakyHandler.posts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", FlakyHandler.posts
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_retries_recover_from_503(flaky_server: tuple[str, list[str]]) -> None:
    url, posts = flaky_server
    assert complete(chat_model(url, max_retries=2)) == "The link is valid for 30 minutes."
    assert posts == ["/v1/chat/completions"] * 3


def test_without_retries_a_503_is_an_llm_error(flaky_server: tuple[str, list[str]]) -> None:
    url, posts = flaky_server
    with pytest.raises(LLMError, match="answered HTTP 503"):
        complete(chat_model(url, max_retries=0))
    assert len(posts) == 1
