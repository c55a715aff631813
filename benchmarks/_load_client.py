"""Simulated widget sessions for the load benchmark (the protocol of web_widget/api.js)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import REPO
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

QUESTIONS = Path(REPO) / "evals" / "datasets" / "kb_questions.jsonl"
MESSAGE_TIMEOUT_S = 120.0
NETWORK_ERRORS = (httpx.HTTPError, WebSocketException, OSError, TimeoutError)


@dataclass
class Tally:
    """What the sessions of one run saw."""

    sse_ms: list[float] = field(default_factory=list)
    ws_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    handoffs: int = 0
    conversations: int = 0
    last_answer_at: float = 0.0  # perf_counter of the last reply or handoff


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
        self.handed_off = False  # a handoff event came: a person answers from now on
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                event = json.loads(raw)
                self.handed_off = self.handed_off or event.get("type") == "handoff"
                self.events.put_nowait(event)
        except NETWORK_ERRORS:
            pass
        # Whoever waits for an event learns that none will come.
        self.events.put_nowait({"type": "closed", "code": self.socket.close_code})

    def close(self) -> None:
        """Stop reading (the socket is closed by its context)."""
        self._reader.cancel()

    def _seen(self, data: dict[str, Any]) -> int:
        seq = int((data.get("turn") or {}).get("seq") or 0)
        self.known_seq = max(self.known_seq, seq)
        return seq

    async def ask_sse(self, text: str) -> tuple[str, float]:
        """POST .../messages/stream; the outcome and the ms to the first reply or handoff.

        The outcome is `handoff` if one follows the reply (a weak answer), `waiting` if the
        message was only stored (a handoff followed the previous answer), else `reply` or an
        error.
        """
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
                    if event == "message" and not at:
                        outcome = "waiting"
                    elif event in ("reply", "handoff") and outcome != "handoff":
                        outcome = event
                    elif event == "error":
                        outcome = f"error_{data.get('error_code')}"
                    if event in ("reply", "handoff", "error") and not at:
                        at = time.perf_counter()
        return outcome, (at - started) * 1000

    async def ask_ws(self, text: str) -> tuple[str, float]:
        """{type: message} on the WebSocket; waits for this message's reply (or handoff) event.

        A handoff that follows the reply is not waited for: the socket's reader notes it
        (`handed_off`) and the visitor stops asking, as a customer then waits for the person.
        Asking on would be answered only where the bot is sure (issue 17); anything else
        waits for the person and would look like a lost reply here.
        """
        floor = self.known_seq
        started = time.perf_counter()
        await self.socket.send(json.dumps({"type": "message", "text": text}))
        mine = 0
        while True:
            event = await self.events.get()
            kind = event.get("type")
            seq = self._seen(event)
            if kind in ("error", "closed"):
                return f"{kind}_{event.get('error_code') or event.get('code')}", 0.0
            if kind == "message" and seq > floor and event["turn"]["role"] == "customer":
                mine = seq
            elif kind == "handoff" or (mine and kind == "reply" and seq > mine):
                return str(kind), (time.perf_counter() - started) * 1000


@contextlib.asynccontextmanager
async def open_session(client: httpx.AsyncClient, ws_base: str) -> AsyncIterator[Session]:
    """A new conversation with its WebSocket open."""
    response = await client.post("/api/conversations", json={})
    response.raise_for_status()
    created = response.json()
    url = f"{ws_base}/ws/conversations/{created['id']}"
    async with connect(url, open_timeout=MESSAGE_TIMEOUT_S) as socket:
        await socket.send(json.dumps({"type": "auth", "token": created["token"]}))
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
    think_s: float = 0.0,
) -> None:
    """One simulated visitor after another: ask until a handoff, then start a new chat;
    `think_s` is the mean pause between an answer and the next question (uniform 0-2x), and
    the first visitors arrive spread over the same span, not all in the first second."""
    if think_s:
        await asyncio.sleep(random.uniform(0, 2 * think_s))
    while budget.left > 0 and time.monotonic() < budget.deadline:
        try:
            async with open_session(client, ws_base) as session:
                tally.conversations += 1
                for over_ws in itertools.cycle((False, True)):
                    if session.handed_off:  # after an answer: the visitor waits for a person
                        tally.handoffs += 1
                        break
                    if not budget.take():
                        return
                    ask = session.ask_ws if over_ws else session.ask_sse
                    try:
                        async with asyncio.timeout(MESSAGE_TIMEOUT_S):
                            outcome, ms = await ask(next(questions))
                    except TimeoutError:
                        outcome = "no reply in time over " + ("WebSocket" if over_ws else "SSE")
                    if outcome == "waiting":  # the previous answer was followed by a handoff
                        tally.handoffs += 1
                        break
                    if outcome not in ("reply", "handoff"):
                        tally.errors[outcome] += 1
                        break  # the conversation's state is unknown: start a new one
                    (tally.ws_ms if over_ws else tally.sse_ms).append(ms)
                    tally.last_answer_at = time.perf_counter()
                    if outcome == "handoff":
                        tally.handoffs += 1
                        break
                    if think_s:
                        await asyncio.sleep(random.uniform(0, 2 * think_s))
        except NETWORK_ERRORS as exc:
            tally.errors[type(exc).__name__] += 1


def questions() -> Iterator[str]:
    """The golden questions, round and round."""
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return itertools.cycle([str(row["question"]) for row in rows])
