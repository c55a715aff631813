"""Server processes for the scale-out tests: a Chroma server and API workers (uvicorn)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import EXPORT_CACHE_ENV
from tests.live_server import free_port
from tests.waiting import WAIT_S

BIN = Path(sys.executable).parent


def fail_or_skip(reason: str) -> None:
    """A missing service fails the run under CI=true; elsewhere the test is skipped."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class Server:
    """A process listening on 127.0.0.1:`port`."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def child_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without SUPPORTBOT_* settings (but the shared ONNX export
    folder), plus `overrides`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SUPPORTBOT_") or k == EXPORT_CACHE_ENV
    }
    # Two cores are shared by everything the test starts; more threads only contend.
    env.setdefault("OMP_NUM_THREADS", "1")
    return {**env, **overrides}


def launch(command: Sequence[str], log: Path, env: Mapping[str, str], port: int) -> Server:
    """Start `command` (output to `log`); it should listen on `port`."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=dict(env))
    return Server(process, port, log)


def wait_ready(server: Server, path: str, within_s: float = WAIT_S) -> None:
    """Poll `path` until it answers 200; RuntimeError if the process dies or takes too long."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.process.args!r} exited with {server.process.returncode}:\n"
                + server.log_tail()
            )
        try:
            if httpx.get(server.url + path, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"{server.process.args!r} not ready within {within_s:.0f} s:\n" + server.log_tail()
    )


def stop(server: Server) -> None:
    """Terminate the process (SIGTERM, then SIGKILL after 15 s)."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def chroma_server(path: Path) -> Iterator[Server]:
    """`chroma run` storing in `path` on a free port; fails (CI) or skips when it can't start."""
    chroma = BIN / "chroma"
    if not chroma.exists():
        fail_or_skip(f"no Chroma server: {chroma} is missing (pip install chromadb)")
    port = free_port()
    command = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    server = launch(command, path.parent / f"chroma-{port}.log", child_env({}), port)
    try:
        try:
            wait_ready(server, "/api/v2/heartbeat")
        except RuntimeError as exc:
            fail_or_skip(f"the Chroma server did not start: {exc}")
        yield server
    finally:
        stop(server)


def supportbot(args: Sequence[str], env: Mapping[str, str], stdin: str = "") -> str:
    """Run the `supportbot` CLI to completion; its output, or AssertionError with it."""
    done = subprocess.run(
        [str(BIN / "supportbot"), *args],
        input=stdin.encode(),
        capture_output=True,
        env=dict(env),
        timeout=WAIT_S,
        check=False,
    )
    output = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 0, f"supportbot {' '.join(args)} exited {done.returncode}:\n{output}"
    return output


def serve(env: Mapping[str, str], log_dir: Path, port: int) -> Server:
    """`supportbot serve` on `port`, ready (stopped again if it never gets ready)."""
    command = [str(BIN / "supportbot"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = launch(command, log_dir / f"serve-{time.monotonic_ns()}.log", env, port)
    try:
        wait_ready(server, "/healthz")
    except BaseException:
        stop(server)
        raise
    return server


@contextlib.contextmanager
def api_workers(env: Mapping[str, str], log_dir: Path, count: int = 2) -> Iterator[list[Server]]:
    """`count` processes of `supportbot serve`, each on its own port, started together."""
    servers = []
    try:
        for _ in range(count):
            port = free_port()
            command = [str(BIN / "supportbot"), "serve", "--host", "127.0.0.1", "--port", str(port)]
            servers.append(launch(command, log_dir / f"worker-{port}.log", env, port))
        for server in servers:
            wait_ready(server, "/healthz")
        yield servers
    finally:
        for server in servers:
            stop(server)


class RedisProcess:
    """A `redis-server` of the test's own on a free port, to stop and restart mid-test."""

    def __init__(self, data_dir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            fail_or_skip("no redis-server on PATH (apt-get install redis-server)")
        self._binary = str(binary)
        self._dir = data_dir
        self._dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self._server: Server | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (again, on the same port, empty) and wait until it answers PING."""
        command = [
            self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self._dir),
        ]  # fmt: skip
        log = self._dir / f"redis-{self.port}.log"
        self._server = launch(command, log, child_env({}), self.port)
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                with redis.Redis.from_url(self.url, socket_connect_timeout=1) as client:
                    client.ping()
                return
            except redis.RedisError:
                if self._server.process.poll() is not None or time.monotonic() > deadline:
                    tail = self._server.log_tail()
                    raise RuntimeError(f"redis-server did not start:\n{tail}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (its clients see their connections close)."""
        if self._server is not None:
            stop(self._server)
            self._server = None

    def freeze(self) -> None:
        """Pause the server: its connections stay open and nothing answers (a dead peer)."""
        assert self._server is not None, "start the server first"
        self._server.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen server go on."""
        assert self._server is not None, "start the server first"
        self._server.process.send_signal(signal.SIGCONT)


@contextlib.contextmanager
def redis_process(data_dir: Path) -> Iterator[RedisProcess]:
    """A started `RedisProcess`, stopped at the end."""
    process = RedisProcess(data_dir)
    process.start()
    try:
        yield process
    finally:
        process.stop()
