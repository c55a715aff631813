"""`kill -9` of a real `supportbot serve` mid-load, on SQLite and PostgreSQL (issue 15).

Customers send messages over the reply stream with the same `client_id` until the server
acknowledges them (the `message` event), like the widget before it also resent unanswered
ones. The server is killed while answering and started again on the same data. Then every
acknowledged message is stored once and answered once: by the stream before the kill, by a
resend, or by the recovery pass at start. The figures go to test-artifacts/faults-crash-*.json.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot.db.engine import create_engine_for
from bot.db.schema import conversations, turns
from tests.conftest import KB_FIXTURE, ROOT
from tests.contracts.conftest import fresh_database, require_postgres
from tests.live_server import free_port
from tests.scaleout.servers import (
    child_env,
    serve,
    stop,
    supportbot,
)
from tests.waiting import eventually

pytestmark = [pytest.mark.faults, pytest.mark.slow]

CLIENTS = 6
ACKS_BEFORE_KILL = 20
QUESTIONS = [
    "how long do refunds take?",
    "how long is the password reset link valid?",
    "how long does shipping take?",
    "can I return a sale item?",
    "how do I turn on two-step verification?",
    "how do I cancel my membership?",
]


@dataclass
class Sent:
    """One customer message: its conversation, and what the client saw."""

    conversation_id: str
    client_id: str
    text: str
    acknowledged: bool = False
    answered_in_stream: bool = False
    tries: int = 0


@dataclass
class Load:
    """Customers in threads; each conversation sends its questions one after the other."""

    url: str
    sent: list[Sent] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self) -> list[Sent]:
        with self.lock:
            return [s for s in self.sent if s.acknowledged]

    def _customer(self, number: int) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as http:
            while not self.stopping.is_set():
                created = self._retry(lambda: http.post("/api/conversations", json={}))
                if created is None:
                    return
                body = created.json()
                headers = {"Authorization": f"Bearer {body['token']}"}
                for n in range(2):
                    text = QUESTIONS[(number + n) % len(QUESTIONS)]
                    sent = Sent(body["id"], str(uuid.uuid4()), text)
                    with self.lock:
                        self.sent.append(sent)
                    self._send(http, sent, headers)
                    if not sent.acknowledged:
                        return  # stopped while the server was down

    def _retry(self, call: Callable[[], httpx.Response]) -> httpx.Response | None:
        delay = 0.2
        while not self.stopping.is_set():
            with contextlib.suppress(httpx.TransportError):
                response = call()
                if response.status_code < 500:
                    return response
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
        return None

    def _send(self, http: httpx.Client, sent: Sent, headers: dict[str, str]) -> None:
        """Resend with the same client_id until the server acknowledges the message."""
        message = {"text": sent.text, "client_id": sent.client_id}
        path = f"/api/conversations/{sent.conversation_id}/messages/stream"
        delay = 0.2
        while not sent.acknowledged and not self.stopping.is_set():
            sent.tries += 1
            with contextlib.suppress(httpx.TransportError):
                with http.stream("POST", path, json=message, headers=headers) as response:
                    if response.status_code == 200:
                        for line in response.iter_lines():
                            if line == "event: message":
                                sent.acknowledged = True
                            elif line == "event: reply":
                                sent.answered_in_stream = True
            if not sent.acknowledged:
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        threads = [
            threading.Thread(target=self._customer, args=(n,), daemon=True) for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            self.stopping.set()
            for thread in threads:
                thread.join(timeout=120)


@contextlib.contextmanager
def storage(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'supportbot.db'}"
        return
    with fresh_database(require_postgres()) as url:
        yield url


@dataclass
class Outcome:
    """What the database holds for the acknowledged messages."""

    acknowledged: int
    lost: int  # acknowledged but not stored
    duplicated: int  # stored more than once
    unanswered: int  # stored with no answer and not handed to a person
    answered_twice: int
    handed_over: int


def outcome(url: str, acknowledged: list[Sent]) -> Outcome:
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(turns.c.id, turns.c.client_id, turns.c.role).where(
                    turns.c.conversation_id.in_({s.conversation_id for s in acknowledged})
                )
            ).all()
            waiting = set(
                conn.execute(
                    sa.select(conversations.c.id).where(
                        conversations.c.id.in_({s.conversation_id for s in acknowledged}),
                        conversations.c.mode != "bot",
                    )
                ).scalars()
            )
    finally:
        engine.dispose()
    stored: dict[str, list[int]] = {}
    answers: dict[str, int] = {}
    for turn_id, client_id, role in rows:
        if role == "customer" and client_id:
            stored.setdefault(client_id, []).append(turn_id)
        elif role == "bot" and client_id:
            answers[client_id] = answers.get(client_id, 0) + 1
    by_sent = {s.client_id: stored.get(s.client_id, []) for s in acknowledged}
    counts = [answers.get(f"reply-to:{ids[0]}", 0) for ids in by_sent.values() if len(ids) == 1]
    handed = {s.client_id for s in acknowledged if s.conversation_id in waiting}
    return Outcome(
        acknowledged=len(acknowledged),
        lost=sum(1 for ids in by_sent.values() if not ids),
        duplicated=sum(1 for ids in by_sent.values() if len(ids) > 1),
        unanswered=sum(
            1
            for client_id, ids in by_sent.items()
            if len(ids) == 1 and not answers.get(f"reply-to:{ids[0]}") and client_id not in handed
        ),
        answered_twice=sum(1 for n in counts if n > 1),
        handed_over=len(handed),
    )


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_kill_9_mid_load_loses_nothing_and_leaves_no_one_unanswered(
    backend: str, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    started = time.monotonic()
    with storage(backend, tmp_path) as url:
        env = child_env(
            {
                "SUPPORTBOT_DATA_DIR": str(tmp_path / "data"),
                "SUPPORTBOT_STORAGE__URL": url,
                "SUPPORTBOT_API__RATE_LIMIT_PER_IP": "100000",
                "SUPPORTBOT_API__RATE_LIMIT_PER_CONVERSATION": "100000",
                "SUPPORTBOT_ESCALATION__BUSINESS_HOURS": "",
            }
        )
        supportbot(["ingest", "--quiet", str(KB_FIXTURE)], env)
        phases = {"ingest_s": time.monotonic() - started}
        port = free_port()
        server = serve(env, tmp_path, port)
        phases["start_s"] = time.monotonic() - started - sum(phases.values())
        load = Load(server.url)
        try:
            with load.running():
                eventually(
                    lambda: len(load.acknowledged()) >= ACKS_BEFORE_KILL,
                    f"{ACKS_BEFORE_KILL} acknowledged messages",
                )
                server.process.kill()  # kill -9, mid-load
                server.process.wait()
                at_kill = outcome(url, load.acknowledged())
                restarting = time.monotonic()
                server = serve(env, tmp_path, port)  # the customers' resends go on
                phases["restart_s"] = time.monotonic() - restarting
                before = len(load.acknowledged())
                eventually(
                    lambda: len(load.acknowledged()) >= before + CLIENTS,
                    "more messages acknowledged after the restart",
                )
            acknowledged = load.acknowledged()

            def all_answered() -> bool:
                return outcome(url, acknowledged).unanswered == 0

            with contextlib.suppress(AssertionError):
                eventually(all_answered, "every acknowledged message answered")
            final = outcome(url, acknowledged)
        finally:
            stop(server)
    figures = {
        "backend": backend,
        "acknowledged": final.acknowledged,
        "lost": final.lost,
        "duplicated": final.duplicated,
        "unanswered_at_kill": at_kill.unanswered,
        "unanswered": final.unanswered,
        "answered_twice": final.answered_twice,
        "handed_over": final.handed_over,
        "resends": sum(s.tries - 1 for s in acknowledged),
        "seconds": round(time.monotonic() - started, 1),
        **{name: round(value, 1) for name, value in phases.items()},
    }
    for name, value in figures.items():
        record_property(name, value)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / f"faults-crash-{backend}.json").write_text(json.dumps(figures, indent=2))
    assert (final.lost, final.duplicated, final.unanswered, final.answered_twice) == (
        0,
        0,
        0,
        0,
    ), figures
