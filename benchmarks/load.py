"""Load: simulated widget sessions against 1 and 4 API workers on PostgreSQL + Redis, then
idle WebSockets held by one worker.

Everything runs on 127.0.0.1 and is removed afterwards: a fresh PostgreSQL database (created,
then dropped), a scratch Redis database (it must be empty; flushed after), a temporary data
folder with the sample KB ingested by `supportbot ingest`, and `supportbot serve` started with
`--workers 1`, then `--workers 4`, all with the same environment (extractive answers, rate
limits raised out of the way).

Each simulated widget session creates a conversation, opens its WebSocket and asks questions
from evals/datasets/kb_questions.jsonl one after the other, alternately over Server-Sent
Events (POST .../messages/stream) and over the WebSocket ({type: message}), as the widget
does. A handoff to a person ends the session; a new one starts. Latency is from sending a
message to its `reply` (or `handoff`) event. Then `--idle` WebSockets are opened against one
worker and left idle; the script reports how many stayed open, the worker's memory, and
whether a message sent meanwhile still reaches its (idle) WebSocket.

    .venv/bin/python benchmarks/load.py --sessions 20 --messages 200 --idle 200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import redis
from _common import REPO, emit, latency_summary, machine, ratio, table
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

QUESTIONS = Path(REPO) / "evals" / "datasets" / "kb_questions.jsonl"
SUPPORTBOT = str(Path(sys.executable).with_name("supportbot"))
WORKER_COUNTS = (1, 4)
MESSAGE_TIMEOUT_S = 120.0
STARTUP_TIMEOUT_S = 600.0
NETWORK_ERRORS = (httpx.HTTPError, WebSocketException, OSError, TimeoutError)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        epilog="Starts and stops its own servers on 127.0.0.1; needs PostgreSQL and Redis.",
    )
    parser.add_argument(
        "--sessions", type=int, default=50, help="concurrent widget sessions (default 50)"
    )
    parser.add_argument(
        "--messages",
        type=int,
        default=600,
        help="messages per worker count, at most (default 600)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=180.0,
        help="seconds per load run and for opening idle sockets, at most (default 180)",
    )
    parser.add_argument(
        "--idle", type=int, default=1000, help="idle WebSockets on one worker (default 1000)"
    )
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="admin URL: the scratch database is created and dropped there",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="Redis server")
    parser.add_argument(
        "--redis-db", type=int, default=13, help="scratch Redis database, must be empty (13)"
    )
    parser.add_argument(
        "--backend",
        choices=("redis", "memory"),
        default="redis",
        help="realtime events and rate limits (default redis; memory: one worker only)",
    )
    parser.add_argument(
        "--keyword",
        choices=("postgres", "sqlite-fts5"),
        default="postgres",
        help="keyword index (default postgres, in the scratch database)",
    )
    parser.add_argument("--port", type=int, default=8765, help="API port (default 8765)")
    return parser.parse_args()


# --- scratch services ---------------------------------------------------------------------


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
    database_url: str, redis_url: str, data_dir: Path, args: argparse.Namespace
) -> dict[str, str]:
    """The environment of `supportbot ingest` and `supportbot serve`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    env.update(
        {
            "SUPPORTBOT_DATA_DIR": str(data_dir),
            "SUPPORTBOT_KB_DIR": str(Path(REPO) / "kb_content"),
            "SUPPORTBOT_STORAGE__URL": database_url,
            # 4 workers x (5 + 10 overflow) stays under PostgreSQL's default 100 connections.
            "SUPPORTBOT_STORAGE__POOL_SIZE": "5",
            "SUPPORTBOT_KEYWORD__BACKEND": args.keyword,
            "SUPPORTBOT_REDIS__URL": redis_url,
            "SUPPORTBOT_REALTIME__BACKEND": args.backend,
            "SUPPORTBOT_API__RATE_LIMIT_BACKEND": args.backend,
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


# --- simulated widget sessions -------------------------------------------------------------


@dataclass
class Tally:
    """What the sessions of one run saw."""

    sse_ms: list[float] = field(default_factory=list)
    ws_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    handoffs: int = 0
    conversations: int = 0


@dataclass
class Budget:
    """Messages left and a deadline, shared by the sessions of one run."""

    left: int
    deadline: float

    def take(self) -> bool:
        """Claim one message, if any is left and there is time."""
        if self.left <= 0 or time.monotonic() >= self.deadline:
            return False
        self.left -= 1
        return True


class Session:
    """One widget: a conversation, its WebSocket (read in the background), its token."""

    def __init__(self, client: httpx.AsyncClient, socket: ClientConnection, created: Any) -> None:
        self.client = client
        self.socket = socket
        self.id: str = created["id"]
        self.token: str = created["token"]
        self.known_seq = 0
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(*NETWORK_ERRORS):
            async for raw in self.socket:
                self.events.put_nowait(json.loads(raw))

    def close(self) -> None:
        """Stop reading (the socket is closed by its context)."""
        self._reader.cancel()

    def _seen(self, data: dict[str, Any]) -> int:
        seq = int((data.get("turn") or {}).get("seq") or 0)
        self.known_seq = max(self.known_seq, seq)
        return seq

    async def ask_sse(self, text: str) -> tuple[str, float]:
        """POST .../messages/stream; the outcome (reply, handoff or an error) and its ms."""
        started = time.perf_counter()
        outcome, at = "no_reply", 0.0
        async with self.client.stream(
            "POST",
            f"/api/conversations/{self.id}/messages/stream",
            json={"text": text, "client_id": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"},
        ) as response:
            if response.status_code != 200:
                body = json.loads(await response.aread() or b"{}")
                return f"http_{response.status_code}_{body.get('error_code', '')}", 0.0
            event = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                    self._seen(data)
                    if event in ("reply", "handoff", "error") and not at:
                        at = time.perf_counter()
                        outcome = event if event != "error" else f"error_{data.get('error_code')}"
        return outcome, (at - started) * 1000

    async def ask_ws(self, text: str) -> tuple[str, float]:
        """{type: message} on the WebSocket; waits for this message's reply event."""
        floor = self.known_seq
        started = time.perf_counter()
        await self.socket.send(json.dumps({"type": "message", "text": text}))
        mine = 0
        while True:
            event = await self.events.get()
            kind = event.get("type")
            seq = self._seen(event)
            if kind == "error":
                return f"error_{event.get('error_code')}", 0.0
            if kind == "message" and seq > floor and event["turn"]["role"] == "customer":
                mine = seq
            elif mine and (kind == "handoff" or (kind == "reply" and seq > mine)):
                return str(kind), (time.perf_counter() - started) * 1000


@contextlib.asynccontextmanager
async def open_session(client: httpx.AsyncClient, ws_base: str) -> AsyncIterator[Session]:
    """A new conversation with its WebSocket open."""
    response = await client.post("/api/conversations", json={})
    response.raise_for_status()
    created = response.json()
    url = f"{ws_base}/ws/conversations/{created['id']}?token={created['token']}"
    async with connect(url, open_timeout=MESSAGE_TIMEOUT_S) as socket:
        session = Session(client, socket, created)
        try:
            yield session
        finally:
            session.close()


async def widget(
    client: httpx.AsyncClient,
    ws_base: str,
    questions: Iterator[str],
    budget: Budget,
    tally: Tally,
) -> None:
    """One simulated visitor after another: ask until a handoff, then start a new chat."""
    while budget.left > 0 and time.monotonic() < budget.deadline:
        try:
            async with open_session(client, ws_base) as session:
                tally.conversations += 1
                for over_ws in itertools.cycle((False, True)):
                    if not budget.take():
                        return
                    ask = session.ask_ws if over_ws else session.ask_sse
                    async with asyncio.timeout(MESSAGE_TIMEOUT_S):
                        outcome, ms = await ask(next(questions))
                    if outcome not in ("reply", "handoff"):
                        tally.errors[outcome] += 1
                        continue
                    (tally.ws_ms if over_ws else tally.sse_ms).append(ms)
                    if outcome == "handoff":
                        tally.handoffs += 1
                        break
        except NETWORK_ERRORS as exc:
            tally.errors[type(exc).__name__] += 1


def questions() -> Iterator[str]:
    """The golden questions, round and round."""
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return itertools.cycle([str(row["question"]) for row in rows])


async def load_run(
    base: str, pgid: int, workers: int, args: argparse.Namespace
) -> dict[str, float | int]:
    """Drive `--sessions` widgets until `--messages` or `--duration`; the run's figures."""
    ws_base = base.replace("http://", "ws://")
    limits = httpx.Limits(max_connections=args.sessions + 8, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=base, timeout=MESSAGE_TIMEOUT_S, limits=limits) as client:
        asked = questions()
        warm = Tally()
        # Warm-up (not counted): every worker loads its lazy parts on its first messages.
        await asyncio.gather(
            *(
                widget(client, ws_base, asked, Budget(2, time.monotonic() + 300), warm)
                for _ in range(workers * 2)
            )
        )
        tally = Tally()
        budget = Budget(args.messages, time.monotonic() + args.duration)
        cpu_before, _ = group_usage(pgid)
        started = time.perf_counter()
        await asyncio.gather(
            *(widget(client, ws_base, asked, budget, tally) for _ in range(args.sessions))
        )
        elapsed = time.perf_counter() - started
        cpu_after, rss = group_usage(pgid)
    done = len(tally.sse_ms) + len(tally.ws_ms)
    both = latency_summary(tally.sse_ms + tally.ws_ms)
    emit(
        f"  {workers} worker(s): {done:,} answers in {elapsed:.1f}s, "
        f"errors {dict(tally.errors) or 0}, warm-up errors {dict(warm.errors) or 0}"
    )
    return {
        "messages/s": done / elapsed if elapsed else 0.0,
        "answers": done,
        "reply p50 ms": both["p50_ms"],
        "reply p95 ms": both["p95_ms"],
        "SSE p50 ms": latency_summary(tally.sse_ms)["p50_ms"],
        "WebSocket p50 ms": latency_summary(tally.ws_ms)["p50_ms"],
        "errors": sum(tally.errors.values()),
        "handoffs": tally.handoffs,
        "conversations": tally.conversations,
        "server CPU ms/answer": (cpu_after - cpu_before) * 1000 / done if done else 0.0,
        "server RSS MB": rss,
    }


# --- idle WebSockets -----------------------------------------------------------------------


async def idle_run(base: str, pgid: int, args: argparse.Namespace) -> list[str]:
    """Open `--idle` WebSockets on one worker, hold them, and send one message meanwhile."""
    ws_base = base.replace("http://", "ws://")
    deadline = time.monotonic() + args.duration
    errors: Counter[str] = Counter()
    gate = asyncio.Semaphore(50)
    _, rss_before = group_usage(pgid)
    async with (
        contextlib.AsyncExitStack() as stack,
        httpx.AsyncClient(
            base_url=base, timeout=MESSAGE_TIMEOUT_S, limits=httpx.Limits(max_connections=50)
        ) as client,
    ):
        sessions: list[Session] = []

        async def open_one() -> None:
            async with gate:
                if time.monotonic() >= deadline:
                    errors["duration cap"] += 1
                    return
                try:
                    sessions.append(await stack.enter_async_context(open_session(client, ws_base)))
                except NETWORK_ERRORS as exc:
                    errors[type(exc).__name__] += 1

        started = time.perf_counter()
        await asyncio.gather(*(open_one() for _ in range(args.idle)))
        opening = time.perf_counter() - started
        await asyncio.sleep(5)  # idle; then check every socket still answers a ping
        pongs = await asyncio.gather(*(_alive(s.socket) for s in sessions))
        held = sum(pongs)
        _, rss_after = group_usage(pgid)
        probe = sessions[len(sessions) // 2] if sessions else None
        delivered = "not tried (no socket open)"
        if probe is not None:
            outcome, ms = await _through_idle_socket(probe)
            delivered = f"{outcome} over the idle socket in {ms:.0f} ms"
    per_socket = (rss_after - rss_before) * 1024 / held if held else 0.0
    return [
        f"idle WebSockets on 1 worker: asked {args.idle:,}, opened {len(sessions):,} in "
        f"{opening:.1f}s, held {held:,} after 5 s idle (answered a ping); "
        f"failures {dict(errors) or 0}",
        f"worker RSS: {rss_before:.0f} MB before, {rss_after:.0f} MB holding them "
        f"({per_socket:.0f} KB per session)",
        f"a message sent over SSE on conversation #{len(sessions) // 2 + 1} while they were "
        f"open: {delivered}",
    ]


async def _alive(socket: ClientConnection) -> bool:
    try:
        async with asyncio.timeout(30):
            await (await socket.ping())
    except (*NETWORK_ERRORS, asyncio.CancelledError):
        return False
    return True


async def _through_idle_socket(session: Session) -> tuple[str, float]:
    """Ask over SSE; time until the reply event arrives on the session's idle WebSocket."""
    started = time.perf_counter()
    outcome, _ = await session.ask_sse(next(questions()))
    try:
        async with asyncio.timeout(MESSAGE_TIMEOUT_S):
            while True:
                event = await session.events.get()
                if event.get("type") in ("reply", "handoff"):
                    return f"{outcome} (SSE), {event['type']} event", (
                        time.perf_counter() - started
                    ) * 1000
    except TimeoutError:
        return f"{outcome} (SSE) but NO event on the WebSocket", 0.0


# --- main ----------------------------------------------------------------------------------


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft open-files limit (inherited by the servers) toward `wanted`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def run(args: argparse.Namespace, env: dict[str, str], logs: Path) -> None:
    """Both load runs, then the idle run; prints the tables."""
    base = f"http://127.0.0.1:{args.port}"
    results: dict[int, dict[str, float | int]] = {}
    for workers in WORKER_COUNTS:
        emit(f"serve --workers {workers}: starting ...")
        async with server(env, workers, args.port, logs / f"serve-{workers}.log") as process:
            emit(f"  ready; {args.sessions} sessions, at most {args.messages} messages ...")
            results[workers] = await load_run(base, process.pid, workers, args)
    idle_lines: list[str] = []
    if args.idle:
        emit(f"serve --workers 1: {args.idle:,} idle WebSockets ...")
        async with server(env, 1, args.port, logs / "serve-idle.log") as process:
            idle_lines = await idle_run(base, process.pid, args)

    one, four = results[WORKER_COUNTS[0]], results[WORKER_COUNTS[1]]
    rows = [[metric, one[metric], four[metric], ratio(four[metric], one[metric])] for metric in one]
    emit()
    emit("# Results")
    emit(
        f"{args.sessions} concurrent widget sessions, at most {args.messages} messages or "
        f"{args.duration:.0f} s per run, half over SSE and half over the WebSocket; extractive "
        f"answers; PostgreSQL ({args.keyword} keywords) + {args.backend} events and limits; "
        "load generator on the same machine"
    )
    emit(table(["metric", "1 worker", "4 workers", "4 / 1"], rows))
    emit(
        "4 / 1 above 1.00x: more with 4 workers (better for messages/s, worse for latency and "
        "CPU); server CPU and RSS cover every process of the server (supervisor + workers)"
    )
    for line in idle_lines:
        emit(line)
    emit(f"finished: {machine()}")


def main() -> None:
    """Set up the scratch stack, run, tear down."""
    args = parse_args()
    if args.backend == "memory":
        emit("note: --backend memory: events do not cross workers (fine for this benchmark's flow)")
    fds = raise_fd_limit(max(4096, 3 * args.idle + 1024))
    emit(f"machine: {machine()}")
    emit(f"open-files limit: {fds:,}")
    with (
        tempfile.TemporaryDirectory(prefix="supportbot-load-") as tmp,
        scratch_database(args.postgres_url) as database_url,
        scratch_redis(args.redis_url, args.redis_db) as redis_url,
    ):
        logs = Path(tmp)
        env = stack_env(database_url, redis_url, logs / "data", args)
        emit("ingesting the sample KB (supportbot ingest) ...")
        emit(f"  {ingest(env, logs / 'ingest.log'):.1f}s")
        asyncio.run(run(args, env, logs))


if __name__ == "__main__":
    main()
