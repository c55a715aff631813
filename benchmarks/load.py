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

`--sweep 1,2,4,8` replaces those runs with a capacity sweep on one worker: each level of
concurrent conversations runs for `--sweep-seconds`, customers pausing `--think` seconds on
average between an answer and their next question, and the script reports the most
conversations one worker sustains with reply p95 under 1 s.

    .venv/bin/python benchmarks/load.py --sweep 1,2,4,8,16 --think 0
    .venv/bin/python benchmarks/load.py --sweep 10,20,40,80 --think 15
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from _common import emit, latency_summary, machine, ratio, table
from _load_client import (
    MESSAGE_TIMEOUT_S,
    NETWORK_ERRORS,
    Budget,
    Session,
    Tally,
    open_session,
    questions,
    widget,
)
from _load_stack import (
    group_usage,
    ingest,
    logged_errors,
    scratch_database,
    scratch_redis,
    server,
    stack_env,
)
from websockets.asyncio.client import ClientConnection

WORKER_COUNTS = (1, 4)


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
    parser.add_argument(
        "--sweep",
        type=lambda text: [int(n) for n in text.split(",")],
        default=None,
        help="comma-separated concurrent conversations to try on one worker, instead of the "
        "1-vs-4-worker and idle runs (e.g. 1,2,4,8)",
    )
    parser.add_argument(
        "--sweep-seconds", type=float, default=60.0, help="seconds per sweep level (default 60)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a customer pauses before the next question (default 0)",
    )
    return parser.parse_args()


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
    # Throughput up to the last answer: a message that never gets one would otherwise add
    # its whole timeout to the run.
    answering = max(tally.last_answer_at - started, 0.0)
    emit(
        f"  {workers} worker(s): {done:,} answers in {answering:.1f}s (run ended after "
        f"{elapsed:.1f}s), errors {dict(tally.errors) or 0}, warm-up errors "
        f"{dict(warm.errors) or 0}"
    )
    return {
        "messages/s": done / answering if answering else 0.0,
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


async def sweep_run(base: str, args: argparse.Namespace) -> list[list[float]]:
    """One row per level of concurrent conversations: answers, rate, p50/p95, errors."""
    ws_base = base.replace("http://", "ws://")
    rows: list[list[float]] = []
    top = max(args.sweep)
    limits = httpx.Limits(max_connections=top + 8, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=base, timeout=MESSAGE_TIMEOUT_S, limits=limits) as client:
        asked = questions()
        await widget(client, ws_base, asked, Budget(4, time.monotonic() + 300), Tally())
        for level in args.sweep:
            tally = Tally()
            budget = Budget(10**9, time.monotonic() + args.sweep_seconds)
            started = time.perf_counter()
            await asyncio.gather(
                *(widget(client, ws_base, asked, budget, tally, args.think) for _ in range(level))
            )
            elapsed = time.perf_counter() - started
            both = latency_summary(tally.sse_ms + tally.ws_ms)
            done = len(tally.sse_ms) + len(tally.ws_ms)
            rows.append(
                [
                    level,
                    done,
                    done / elapsed,
                    both["p50_ms"],
                    both["p95_ms"],
                    sum(tally.errors.values()),
                ]
            )
            emit(f"  {level} conversations: {done} answers, p95 {both['p95_ms']:.0f} ms")
    return rows


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
    if args.sweep:
        emit("serve --workers 1: capacity sweep ...")
        async with server(env, 1, args.port, logs / "serve-sweep.log"):
            levels = await sweep_run(base, args)
        emit()
        emit("# Results")
        emit(
            f"one worker, {args.sweep_seconds:.0f} s per level, think time {args.think:g} s on "
            f"average (uniform 0-{2 * args.think:g} s); extractive answers; PostgreSQL "
            f"({args.keyword} keywords) + {args.backend} events and limits; load generator on "
            "the same machine"
        )
        headers = ["conversations", "answers", "answers/s", "p50 ms", "p95 ms", "errors"]
        emit(table(headers, levels))
        fine = [int(row[0]) for row in levels if row[4] < 1000 and row[5] == 0]
        emit(
            f"sustained with reply p95 under 1 s: {max(fine) if fine else 'none'} of "
            f"{args.sweep} concurrent conversations"
        )
        emit(f"finished: {machine()}")
        return
    results: dict[int, dict[str, float | int]] = {}
    for workers in WORKER_COUNTS:
        emit(f"serve --workers {workers}: starting ...")
        async with server(env, workers, args.port, logs / f"serve-{workers}.log") as process:
            emit(f"  ready; {args.sessions} sessions, at most {args.messages} messages ...")
            results[workers] = await load_run(base, process.pid, workers, args)
        for line in logged_errors(logs / f"serve-{workers}.log"):
            emit(f"  server log: {line}")
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
        env = stack_env(
            database_url, redis_url, logs / "data", keyword=args.keyword, backend=args.backend
        )
        emit("ingesting the sample KB (supportbot ingest) ...")
        emit(f"  {ingest(env, logs / 'ingest.log'):.1f}s")
        asyncio.run(run(args, env, logs))


if __name__ == "__main__":
    main()
