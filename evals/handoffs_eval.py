"""`supportbot eval handoffs`: multi-turn dialogues around a handoff, scored for issue 17.

Each dialogue runs through the real responder, escalator and ticket desk (a throwaway SQLite
database and index of the KB), in a fresh widget conversation. Scores:

- acknowledged emotion: a step labelled with a feeling gets that feeling's sentence, in the
  customer's language, first in the bot's answer or handoff notice (and no apology when the
  customer says the mistake was theirs); calm steps that got one are counted too;
- notice language: every system notice (stored, or live only: agent joined, back to bot) is
  worded in the customer's language;
- answered while waiting: a question the KB answers, asked while waiting for a person, gets a
  labelled answer and the request stays open; one the bot cannot verify gets no guess;
- no stranded customer: every message gets a visible response unless a person was promised
  (an open ticket), and "never mind" while waiting returns the chat to the bot.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import anyio

from bot.answering import messages
from bot.answering.empathy import Feeling, Reading, acknowledgement
from bot.answering.responder import ReplyEvent
from bot.conversations.events import conversation_channel
from bot.conversations.models import (
    AnswerMeta,
    Channel,
    Conversation,
    Customer,
    Mode,
    Role,
    Turn,
    TurnKind,
)
from bot.runtime.realtime import Event
from bot.settings import Settings
from bot.wiring import Services
from escalation.types import Agent, AgentRole
from evals.answers_eval import ingest_sources, throwaway_services
from evals.cases import rows_of
from evals.errors import DatasetError
from retrieval.interfaces import Embedder

EXPECTS = frozenset({"", "answer", "reply", "handoff", "while_waiting", "hold", "cancelled"})
PRESSES = frozenset({"person", "cancel"})
AGENT_ACTIONS = frozenset({"claim", "return", "resolve"})
LANGS = ("en", "es")
_HOLE = "\x00"  # stands for every value filled into a message template
_LIVE_NOTICES = frozenset({"agent_joined", "returned_to_bot"})  # said live, not stored
APOLOGIES = ("sorry", "apolog", "siento", "lo lamento", "disculp", "perdón")


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happens: the customer says or presses something, or an agent acts."""

    say: str = ""
    press: str = ""
    agent: str = ""
    expect: str = ""
    feeling: Feeling | None = None
    own_mistake: bool = False


@dataclass(frozen=True, slots=True)
class Dialogue:
    """A conversation on a page in `page`'s language by a customer writing in `lang`."""

    id: str
    lang: str
    page: str
    steps: tuple[Step, ...]


@dataclass(slots=True)
class StepOutcome:
    """What one customer message got."""

    step: Step
    shown: str = ""  # the first text the customer saw in response ("" = none)
    kind: str = ""  # answer, reply, handoff, while_waiting, hold (for the person), cancelled, none
    acknowledged: tuple[Feeling, bool, str] | None = None  # feeling, own mistake, language
    mode: str = ""
    ticket_open: bool = False


@dataclass(slots=True)
class DialogueOutcome:
    """Every customer step's outcome, the notices, and whether the customer was stranded."""

    dialogue: Dialogue
    steps: list[StepOutcome] = field(default_factory=list)
    notices: list[tuple[str, str | None]] = field(default_factory=list)  # text, language
    stranded: str = ""  # why, or "" when not


def load_dialogues(path: Path) -> list[Dialogue]:
    """Rows `{"id", "lang", "page"?, "steps": [{"say"|"press"|"agent", "expect"?,
    "feeling"?, "own_mistake"?}]}`; DatasetError names a bad row."""
    out = []
    for where, row in rows_of(path):
        steps = row.get("steps")
        lang = row.get("lang")
        if not isinstance(steps, list) or not steps or lang not in LANGS:
            raise DatasetError(f"{where}: needs 'steps' (a list) and 'lang' (one of {LANGS})")
        out.append(
            Dialogue(
                id=str(row.get("id") or where),
                lang=str(lang),
                page=str(row.get("page") or lang),
                steps=tuple(_step(f"{where} step {n}", s) for n, s in enumerate(steps, 1)),
            )
        )
    return out


def _step(where: str, row: object) -> Step:
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: each step is an object")
    say, press, agent = (str(row.get(k) or "") for k in ("say", "press", "agent"))
    expect, feeling = str(row.get("expect") or ""), row.get("feeling")
    if sum(map(bool, (say, press, agent))) != 1:
        raise DatasetError(f"{where}: give exactly one of 'say', 'press', 'agent'")
    if press and press not in PRESSES or agent and agent not in AGENT_ACTIONS:
        raise DatasetError(f"{where}: press is one of {sorted(PRESSES)}, agent {AGENT_ACTIONS}")
    if expect not in EXPECTS:
        raise DatasetError(f"{where}: expect is one of {sorted(EXPECTS)}, not {expect!r}")
    if feeling is not None and feeling not in Feeling._value2member_map_:
        raise DatasetError(f"{where}: feeling is one of {[f.value for f in Feeling]}")
    return Step(
        say=say,
        press=press,
        agent=agent,
        expect=expect,
        feeling=Feeling(feeling) if feeling is not None else None,
        own_mistake=bool(row.get("own_mistake")),
    )


def acknowledged(text: str) -> tuple[Feeling, bool, str] | None:
    """The (feeling, own mistake, language) of the acknowledgement `text` starts with."""
    for lang in LANGS:
        for feeling in Feeling:
            for own in (False, True):
                if text.startswith(acknowledgement(Reading(feeling, own), lang)):
                    return feeling, own, lang
    return None


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """(language, pattern) for every message template with its values left open."""
    holes = dict.fromkeys(
        ("minutes", "hours", "email", "name", "answer", "title", "text", "channel", "date"), _HOLE
    )
    out = []
    for lang in LANGS:
        for key in get_args(messages.Key):
            template = messages.text(key, lang, _HOLE, **holes)
            fragments = [re.escape(f) for f in template.split(_HOLE)]
            if any(f.strip() for f in fragments):
                out.append((lang, re.compile(".*?".join(fragments), re.DOTALL)))
    return out


_TEMPLATES = _patterns()


def notice_language(text: str) -> str | None:
    """The language of the message template a notice was worded from (after any
    acknowledgement sentence), or None when it matches none."""
    found = acknowledged(text)
    if found is not None:
        text = text[len(acknowledgement(Reading(found[0], found[1]), found[2])) :].lstrip()
    for lang, pattern in _TEMPLATES:
        if pattern.fullmatch(text):
            return lang
    return None


async def _reply(services: Services, conversation_id: str, text: str) -> list[ReplyEvent]:
    events: AsyncIterator[ReplyEvent] = services.responder.reply(conversation_id, text)
    return [event async for event in events]


async def _say(services: Services, conversation: Conversation, step: Step) -> StepOutcome:
    events = await _reply(services, conversation.id, step.say)
    turns = {e.type: e.turn for e in events if e.turn is not None}
    done, handoff, notice = turns.get("done"), turns.get("handoff"), turns.get("notice")
    current = await services.store.get(conversation.id)
    ticket = await services.escalator.queue.active_for(conversation.id)
    first = done or handoff or notice
    outcome = StepOutcome(
        step,
        shown=first.text if first is not None else "",
        mode=current.mode.value,
        ticket_open=ticket is not None,
    )
    if notice is not None and notice.kind is TurnKind.HANDOFF_CANCELLED:
        outcome.kind = "cancelled"
    elif done is not None and AnswerMeta.of(done.meta).while_waiting:
        outcome.kind = "while_waiting"
    elif handoff is not None and done is None:
        outcome.kind = "handoff"
    elif done is not None:
        outcome.kind = "answer" if done.kind is TurnKind.ANSWER and handoff is None else "reply"
    elif current.mode in (Mode.WAITING, Mode.AGENT) and ticket is not None:
        outcome.kind = "hold"  # left for the person, who was promised
    else:
        outcome.kind = "none"
    outcome.acknowledged = acknowledged(outcome.shown) if first is not None else None
    return outcome


def _met(outcome: StepOutcome) -> bool:
    expect = outcome.step.expect
    if expect in ("", outcome.kind):
        return True
    return expect == "reply" and outcome.kind == "answer"  # an answer is a reply too


async def _act(services: Services, conversation: Conversation, step: Step, agent: Agent) -> None:
    escalator = services.escalator
    if step.press == "person":
        await escalator.escalate(conversation, escalator.explicit_request())
    elif step.press == "cancel":
        await escalator.cancel(conversation)
    else:
        ticket = await escalator.queue.active_for(conversation.id)
        if ticket is None:
            return
        action = {
            "claim": services.desk.claim,
            "return": services.desk.hand_back,
            "resolve": services.desk.resolve,
        }[step.agent]
        await action(ticket.id, agent)


async def run_dialogue(services: Services, dialogue: Dialogue, agent: Agent) -> DialogueOutcome:
    """Play `dialogue` in a fresh widget conversation and record what the customer got."""
    conversation, _ = await services.store.create_conversation(
        Customer(id=""), channel=Channel.WIDGET, locale=dialogue.page
    )
    outcome = DialogueOutcome(dialogue)
    live: list[Event] = []
    async with services.broadcaster.subscribe(conversation_channel(conversation.id)) as events:

        async def listen() -> None:
            async for event in events:
                live.append(event)

        async with anyio.create_task_group() as group:
            group.start_soon(listen)
            for step in dialogue.steps:
                current = await services.store.get(conversation.id)
                if step.say:
                    outcome.steps.append(await _say(services, current, step))
                else:
                    await _act(services, current, step, agent)
            await anyio.sleep(0.1)  # the last live events
            group.cancel_scope.cancel()
    turns = await services.store.turns(conversation.id)
    said = [t.text for t in turns if t.role is Role.SYSTEM]
    said += [str(e["text"]) for e in live if e.get("type") in _LIVE_NOTICES and e.get("text")]
    outcome.notices = [(text, notice_language(text)) for text in said]
    outcome.stranded = await _stranded(services, conversation, outcome, turns)
    return outcome


async def _stranded(
    services: Services, conversation: Conversation, outcome: DialogueOutcome, turns: list[Turn]
) -> str:
    for n, step in enumerate(outcome.steps, 1):
        if step.kind == "none":
            return f"message {n} got no response and no person was promised"
        if step.step.expect == "cancelled" and step.kind != "cancelled":
            return f"message {n} asked to cancel, but the customer is still waiting"
    current = await services.store.get(conversation.id)
    ticket = await services.escalator.queue.active_for(conversation.id)
    if current.mode is Mode.WAITING and ticket is None:
        return "waiting for a person without a ticket"
    if current.mode is Mode.WAITING and not any(t.kind is TurnKind.HANDOFF for t in turns):
        return "waiting for a person without having been told"
    return ""


def score(outcomes: Sequence[DialogueOutcome]) -> dict[str, float]:
    """The four issue-17 figures and their counts."""
    steps = [(o.dialogue, s) for o in outcomes for s in o.steps]
    emotional = [(d, s) for d, s in steps if s.step.feeling is not None]
    calm = [s for _, s in steps if s.step.feeling is None and s.shown]
    right = [
        s
        for d, s in emotional
        if s.acknowledged is not None
        and s.acknowledged[0] is s.step.feeling
        and s.acknowledged[2] == d.lang
        and (not s.step.own_mistake or not any(w in s.shown.lower() for w in APOLOGIES))
    ]
    notices = [(o.dialogue.lang, lang) for o in outcomes for _, lang in o.notices]
    waits = [s for _, s in steps if s.step.expect == "while_waiting"]
    answered = [
        (d, s)
        for d, s in steps
        if s.step.expect == "while_waiting" and s.kind == "while_waiting" and s.ticket_open
    ]
    labelled = [s for d, s in answered if s.shown.startswith(_label(d.lang))]
    holds = [s for _, s in steps if s.step.expect == "hold"]
    return {
        "dialogues": len(outcomes),
        "customer_messages": len(steps),
        "acknowledged_emotion": _rate(len(right), len(emotional)),
        "emotional_messages": len(emotional),
        "any_acknowledgement_on_emotional": _rate(
            sum(s.acknowledged is not None for _, s in emotional), len(emotional)
        ),
        "acknowledged_calm_messages": _rate(
            sum(s.acknowledged is not None for s in calm), len(calm)
        ),
        "notice_language": _rate(sum(want == got for want, got in notices), len(notices)),
        "notices": len(notices),
        "answered_while_waiting": _rate(len(labelled), len(waits)),
        "while_waiting_questions": len(waits),
        "held_unverifiable_while_waiting": _rate(sum(s.kind == "hold" for s in holds), len(holds)),
        "no_stranded_customer": _rate(sum(not o.stranded for o in outcomes), len(outcomes)),
        "expected_outcome": _rate(sum(_met(s) for _, s in steps), len(steps)),
    }


def _label(lang: str) -> str:
    return messages.text("while_waiting", lang, "", answer="")


def _rate(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def failures(outcome: DialogueOutcome) -> list[str]:
    """Readable lines for what went wrong in one dialogue."""
    lines = []
    d = outcome.dialogue
    for n, s in enumerate(outcome.steps, 1):
        want = s.step.feeling
        got = s.acknowledged
        if want is not None and (got is None or got[0] is not want or got[2] != d.lang):
            lines.append(
                f"{d.id} #{n}: wanted {want.value} in {d.lang}, got {got} ({s.shown[:60]!r})"
            )
        if want is None and got is not None:
            lines.append(f"{d.id} #{n}: calm message acknowledged as {got[0].value}")
        if not _met(s):
            lines.append(f"{d.id} #{n}: expected {s.step.expect}, got {s.kind} ({s.step.say!r})")
    for text, lang in outcome.notices:
        if lang != d.lang:
            lines.append(f"{d.id}: notice in {lang}, not {d.lang}: {text[:70]!r}")
    if outcome.stranded:
        lines.append(f"{d.id}: stranded: {outcome.stranded}")
    return lines


def evaluate_handoffs(
    path: Path, settings: Settings, embedder: Embedder, kb_dir: Path
) -> tuple[dict[str, float], list[DialogueOutcome]]:
    """Run every dialogue of `path` on a throwaway copy of `kb_dir`; the figures and outcomes.

    Opening hours are taken as always open (the notices then never depend on the clock)."""
    dialogues = load_dialogues(path)
    escalation = settings.escalation.model_copy(update={"business_hours": ""})
    with throwaway_services(settings.model_copy(update={"escalation": escalation}), embedder) as (
        services
    ):
        ingest_sources(services, docs=None, kb_dir=kb_dir)

        async def run() -> list[DialogueOutcome]:
            agent = await services.escalator.agents.add(
                "eval-agent", "eval-agent-password", AgentRole.AGENT, "Marta"
            )
            return [await run_dialogue(services, d, agent) for d in dialogues]

        outcomes: list[Any] = anyio.run(run)
    return score(outcomes), outcomes
