"""The load benchmark's scratch stack: PostgreSQL database, Redis database, ingest, servers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import redis
from _common import REPO

SUPPORTBOT = str(Path(sys.executable).with_name("supportbot"))
STARTUP_TIMEOUT_S = 600.0
# An exception's last traceback line (`module.SomeError: ...`) or a logged ERROR record.
_ERROR_LINE = re.compile(r"^(ERROR\b|[\w.]+(Error|Exception|Timeout|Unavailable)\b)")


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=path))


@contextlib.contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (its URL), dropped on exit."""
    name = f"supportbot_load_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_path(admin_url, f"/{name}")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def scratch_redis(url: str, db: int) -> Iterator[str]:
    """The URL of an empty Redis database, flushed on exit."""
    scratch = _with_path(url, f"/{db}")
    client = redis.Redis.from_url(scratch)
    try:
        if client.dbsize():
            raise SystemExit(
                f"Redis database {db} at {url} is not empty: pass --redis-db with an empty one"
            )
        yield scratch
    finally:
        client.flushdb()
        client.close()


def stack_env(
    database_url: str, redis_url: str, data_dir: Path, *, keyword: str, backend: str
) -> dict[str, str]:
    """The environment of `supportbot ingest` and `supportbot serve` (no other SUPPORTBOT_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    env.update(
        {
            "SUPPORTBOT_DATA_DIR": str(data_dir),
            "SUPPORTBOT_KB_DIR": str(Path(REPO) / "kb_content"),
            "SUPPORTBOT_STORAGE__URL": database_url,
            # 4 workers x (5 + 10 overflow) stays under PostgreSQL's default 100 connections.
            "SUPPORTBOT_STORAGE__POOL_SIZE": "5",
            "SUPPORTBOT_KEYWORD__BACKEND": keyword,
            "SUPPORTBOT_REDIS__URL": redis_url,
            "SUPPORTBOT_REALTIME__BACKEND": backend,
            "SUPPORTBOT_API__RATE_LIMIT_BACKEND": backend,
            "SUPPORTBOT_API__RATE_LIMIT_PER_IP": "100000000",
            "SUPPORTBOT_API__RATE_LIMIT_PER_CONVERSATION": "100000000",
            "SUPPORTBOT_LLM__BACKEND": "extractive",
            "OMP_NUM_THREADS": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    return env


def ingest(env: dict[str, str], log: Path) -> float:
    """Run `supportbot ingest` (the sample KB); its wall time in seconds."""
    started = time.perf_counter()
    with log.open("ab") as out:
        done = subprocess.run(
            [SUPPORTBOT, "ingest", "--quiet"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=STARTUP_TIMEOUT_S,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"supportbot ingest failed:\n{_tail(log)}")
    return time.perf_counter() - started


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --- the server ----------------------------------------------------------------------------


def group_usage(pgid: int) -> tuple[float, float]:
    """CPU seconds and resident MB of every live process in the group (server + workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    cpu = rss = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) != pgid:  # fields[2] is the 5th stat field: the process group
            continue
        cpu += (int(fields[11]) + int(fields[12])) / tick
        rss += int(fields[21]) * page / 2**20
    return cpu, rss


@contextlib.asynccontextmanager
async def server(
    env: dict[str, str], workers: int, port: int, log: Path
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """`supportbot serve --workers N` on 127.0.0.1, ready (/readyz) until the block exits."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [SUPPORTBOT, "serve", "--host", "127.0.0.1", "--port", str(port)]
            + ["--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers are stopped with it
        )
    try:
        await _wait_ready(f"http://127.0.0.1:{port}", process, log)
        yield process
    finally:
        _stop(process)


def logged_errors(log: Path, most: int = 5) -> list[str]:
    """The server log's most frequent error lines (exceptions and ERROR records), counted."""
    found: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if _ERROR_LINE.match(line):
            found[line.strip()[:160]] += 1
    return [f"{count}x {line}" for line, count in found.most_common(most)]


async def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(
                    f"supportbot serve exited with {process.returncode}:\n{_tail(log)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.5)
    raise SystemExit(f"supportbot serve not ready after {STARTUP_TIMEOUT_S:.0f} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
