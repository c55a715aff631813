"""A real OpenAI-compatible server for the `llm` tests: llama.cpp serving the bundled SmolLM2.

The server runs in a subprocess (`python -m llama_cpp.server`) for the whole session. Without
llama-cpp-python[server] the tests that need it skip locally and fail under CI=true.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from bot.errors import ConfigError
from tests.live_server import free_port
from tests.waiting import WAIT_S

MODEL = "smollm2"
# The server packages of the [server] extra, besides llama_cpp itself.
_SERVER_MODULES = ("llama_cpp", "sse_starlette", "starlette_context")


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI a missing LLM server fails the run (STYLE.md §6)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"llama-cpp-python[server] is required in CI: {reason}", pytrace=False)
    pytest.skip(f"no local LLM server: {reason} (pip install 'llama-cpp-python[server]')")


def _gguf() -> Path:
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        unavailable(f"cannot import {', '.join(missing)}")
    from bot.llm.backends.local import bundled_smollm2

    try:
        return bundled_smollm2()
    except ConfigError as exc:
        unavailable(str(exc))


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"llama_cpp.server exited with code {process.returncode}:\n{_tail(log)}",
                pytrace=False,
            )
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(
        f"llama_cpp.server did not answer within {WAIT_S:.0f} s:\n{_tail(log)}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (`http://127.0.0.1:<port>/v1`) of llama.cpp serving SmolLM2-135M-Instruct.

    The chat template comes from the GGUF's metadata. Threads: half the cores, so the
    embedder in the test process keeps some CPU.
    """
    model = _gguf()
    port = free_port()
    threads = str(max(1, (os.cpu_count() or 2) // 2))
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        threads,
        "--n_threads_batch",
        threads,
        "--seed",
        "42",
        "--verbose",
        "False",
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(process, base_url, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=WAIT_S)
