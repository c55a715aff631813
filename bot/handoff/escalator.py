"""Escalation in the chat: runs the detectors and hands conversations to people with context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import numpy as np

from bot.answering import messages
from bot.answering.empathy import Reading, acknowledgement
from bot.answering.prompting import PromptBuilder
from bot.conversations.events import (
    Handoff,
    HandoffCancelled,
    handoff_mode,
    tell_ticket,
)
from bot.conversations.models import Citation, Conversation, HandoffMeta, Role, Turn, TurnKind
from bot.conversations.store import ConversationStore
from bot.errors import LLMError
from bot.handoff.interfaces import TicketLifecycle
from bot.handoff.opening_hours import describe_hours
from bot.handoff.webhooks import WebhookEvent, WebhookSender
from bot.llm.interfaces import ChatModel
from bot.runtime.realtime import Broadcaster
from escalation.availability import BusinessHours
from escalation.config import EscalationConfig
from escalation.detectors import (
    HUMAN_REQUEST_EXAMPLES,
    MeaningDetectors,
    low_confidence,
    repeated_failure,
    system_error,
    weak_streak,
)
from escalation.emotion import EmotionModel
from escalation.errors import InvalidTransition
from escalation.interfaces import AgentStore, HandoffQueue
from escalation.policy import assess
from escalation.rules import Topic
from escalation.summary import extractive_summary
from escalation.types import (
    EscalationDecision,
    Finding,
    Reason,
    Signals,
    Ticket,
    TicketStatus,
)
from escalation.wait import WaitEstimate, estimate_wait
from retrieval.interfaces import Embedder

# The metadata key under which the widget sends the browser's IANA time zone (issue 17).
LOCAL_ZONE_KEY = "time_zone"
_ROLE_NAMES = {
    Role.CUSTOMER: "Customer",
    Role.BOT: "Bot",
    Role.AGENT: "Agent",
    Role.SYSTEM: "System",
}


@dataclass(frozen=True, slots=True)
class HandoffResult:
    """The ticket, whether nobody is available, and the notice shown to the customer."""

    ticket: Ticket
    offline: bool
    notice: Turn


def _same_subject(citations: Sequence[Citation], history: Sequence[Turn]) -> tuple[float, ...]:
    """The confidences of the answers in `history` (the turns before an answer citing
    `citations`) that each cite an article it cites, the last ones in a row, oldest first: a
    weak streak is the bot failing the customer on one subject, not two unrelated questions
    each answered a little unsure (issue 16)."""
    cited = {c.article_id for c in citations}
    answers = [t for t in history if t.role is Role.BOT and t.kind is TurnKind.ANSWER]
    run: list[float] = []
    for turn in reversed(answers):
        if not cited & {c.article_id for c in turn.citations}:
            break
        run.append(turn.confidence or 0.0)
    return tuple(reversed(run))


class Escalator:
    """Decides when a person must take over, and performs the handoff."""

    def __init__(
        self,
        *,
        config: EscalationConfig,
        detectors: MeaningDetectors,
        embedder: Embedder,
        store: ConversationStore,
        queue: HandoffQueue,
        lifecycle: TicketLifecycle,
        agents: AgentStore,
        broadcaster: Broadcaster,
        webhooks: WebhookSender,
        hours: BusinessHours,
        prompts: PromptBuilder,
        company: str,
        summarizer: ChatModel | None = None,
    ) -> None:
        self.config = config
        self.detectors = detectors
        self._embedder = embedder
        self._store = store
        self.queue = queue
        self._lifecycle = lifecycle
        self.agents = agents
        self._broadcaster = broadcaster
        self.webhooks = webhooks
        self._hours = hours
        self._prompts = prompts
        self._company = company
        self._summarizer = summarizer

    async def _signals(self, turn: Turn, history: Sequence[Turn], **extra: Any) -> Signals:
        earlier = [t for t in history if t.role is Role.CUSTOMER and t.seq < turn.seq][-3:]
        texts = [turn.text, *(t.text for t in earlier)]
        vectors = await anyio.to_thread.run_sync(self._embedder.embed_documents, texts)
        bots = [t for t in history if t.role is Role.BOT and t.seq < turn.seq]
        model = self.detectors.emotion_model
        return Signals(
            text=turn.text,
            vector=vectors[0],
            # Scored once: the emotion detector and the decision's scores both read it.
            emotion=model.emotion_score(turn.text) if model is not None else None,
            previous_customer_texts=tuple(texts[1:]),
            previous_vectors=vectors[1:] if len(texts) > 1 else None,
            last_bot_kind=bots[-1].kind.value if bots else "",
            **extra,
        )

    async def check_message(self, turn: Turn, history: Sequence[Turn]) -> EscalationDecision:
        """Before answering: explicit request, sensitive topic, emotion, repeated failure."""
        if not self.config.enabled:
            return EscalationDecision(False)
        signals = await self._signals(turn, history)
        findings: list[Finding | None] = list(self.detectors.message_findings(signals))
        findings.append(repeated_failure(signals, self.config))
        return assess(
            findings, self._scores(signals), answer_first_below=self.config.emotion_handoff
        )

    async def check_answer(
        self,
        customer_turn: Turn,
        kind: TurnKind,
        confidence: float | None,
        citations: Sequence[Citation],
        history: Sequence[Turn],
    ) -> EscalationDecision:
        """For the answer to `customer_turn` (of `kind`, `confidence`, citing `citations`;
        `history`: the turns before it): low confidence, weak answers in a row, system error."""
        if not self.config.enabled:
            return EscalationDecision(False)
        findings = self._answer_findings(
            kind, confidence, _same_subject(citations, history), customer_turn.text
        )
        return assess(findings, {"answer_confidence": confidence or 0.0})

    def hands_off(self, kind: TurnKind, confidence: float | None) -> bool:
        """Whether an answer of this kind and confidence sends the chat to a person by itself,
        before any earlier answer is counted: a refusal under `low_confidence`, a failure."""
        return self.config.enabled and any(self._answer_findings(kind, confidence, (), ""))

    def _answer_findings(
        self, kind: TurnKind, confidence: float | None, earlier: tuple[float, ...], text: str
    ) -> list[Finding | None]:
        signals = Signals(
            text=text,
            confidence=confidence if kind in (TurnKind.ANSWER, TurnKind.REFUSAL) else None,
            earlier_confidences=earlier,
            system_error=kind is TurnKind.FALLBACK,
        )
        return [
            low_confidence(signals, self.config),
            weak_streak(signals, self.config) if kind is TurnKind.ANSWER else None,
            system_error(signals),
        ]

    def _scores(self, signals: Signals) -> dict[str, float]:
        return {} if signals.emotion is None else {"emotion": round(signals.emotion, 4)}

    def explicit_request(
        self, detail: str = "the customer pressed 'talk to a person'"
    ) -> EscalationDecision:
        """The decision when the customer asks for a person (by default: presses the button)."""
        return assess([Finding(Reason.EXPLICIT_REQUEST, 1.0, detail)])

    def thumbs_down(self) -> EscalationDecision:
        """The decision after a thumbs-down on a bot answer."""
        return assess([repeated_failure(Signals(text="", thumbs_down=True), self.config)])

    async def escalate(
        self,
        conversation: Conversation,
        decision: EscalationDecision,
        *,
        email: str = "",
        feeling: Reading | None = None,
    ) -> HandoffResult:
        """Open (or reuse) the ticket with the full context and tell the customer honestly,
        after one sentence acknowledging their `feeling` when they show one (issue 17)."""
        open_now = self._hours.is_open(dt.datetime.now(dt.UTC))  # empty hours: always open
        online = await self.agents.online(self.config.agent_online_s)
        offline = not online or not open_now
        turns = await self._store.turns(conversation.id)
        customer = await self._store.get_customer(conversation.customer_id)
        reasons = [f.reason.value for f in decision.findings]
        summary = await self._summary(turns, reasons)
        context = {
            "transcript": [
                {
                    "seq": t.seq,
                    "role": t.role.value,
                    "text": t.text,
                    "at": t.created_at.isoformat(),
                    "confidence": t.confidence,
                    "kind": t.kind.value,
                }
                for t in turns
            ],
            "sources": [
                {
                    "turn": t.seq,
                    "n": c.n,
                    "article_id": c.article_id,
                    "title": c.title,
                    "url": c.url,
                    "section": c.section,
                    "snippet": c.snippet,
                    "relevance": c.relevance,
                }
                for t in turns
                for c in t.citations
            ],
            "findings": [
                {
                    "reason": f.reason.value,
                    "score": round(f.score, 4),
                    "detail": f.detail,
                    "priority": f.priority.value,
                }
                for f in decision.findings
            ],
            "scores": {
                **decision.scores,
                "answer_confidences": [t.confidence for t in turns if t.role is Role.BOT],
            },
            "customer": {
                "name": customer.name,
                "email": email or customer.email,
                "locale": conversation.locale,
                "page_url": conversation.page_url,
                "metadata": dict(conversation.metadata),
            },
        }
        # The ticket and the conversation's mode (waiting) are written together.
        ticket = await self._lifecycle.open(
            conversation.id,
            priority=decision.priority,
            reasons=reasons,
            summary=summary,
            context=context,
            customer_email=email or customer.email,
            offline=offline,
        )
        locale = messages.notices_locale(conversation, turns)
        wait = await self._wait()
        key: messages.Key
        if offline:
            key = "handoff_unavailable" if open_now else "handoff_offline"
        else:  # say whether the wait was measured or is the configured guess
            key = "handoff_measured" if wait.measured else "handoff"
        notice_text = messages.text(
            key,
            locale,
            self._company,
            minutes=messages.about_minutes(wait.minutes, locale),
            hours=describe_hours(
                self._hours, locale, str(conversation.metadata.get(LOCAL_ZONE_KEY, ""))
            ),
        )
        if feeling is not None:
            notice_text = f"{acknowledgement(feeling, locale)} {notice_text}"
        notice = await self._store.append(
            conversation.id,
            Role.SYSTEM,
            notice_text,
            kind=TurnKind.HANDOFF,
            meta=HandoffMeta(
                ticket_id=ticket.id,
                offline=offline,
                reasons=tuple(reasons),
                locale=locale,
                feeling=None if feeling is None else feeling.feeling.value,
            ).as_json(),
        )
        handoff = Handoff(handoff_mode(offline), notice_text, ticket_id=ticket.id, locale=locale)
        await tell_ticket(self._broadcaster, ticket, handoff)
        self.webhooks.fire(WebhookEvent.ESCALATION, ticket)
        return HandoffResult(ticket, offline, notice)

    async def _wait(self) -> WaitEstimate:
        """The wait to tell: the median of the last `wait_window_days` of claims, else the
        configured typical wait."""
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=self.config.wait_window_days)
        return estimate_wait(await self.queue.waits(since), self.config.typical_wait_minutes)

    async def cancel(self, conversation: Conversation) -> Turn | None:
        """Cancel the conversation's request for a person at the customer's word (issue 17):
        the ticket closes as cancelled, the bot answers again, and the customer and the
        agents' queue are told. None when no request waits (someone already took it)."""
        ticket = await self.queue.active_for(conversation.id)
        if ticket is None or ticket.status is not TicketStatus.OPEN:
            return None
        locale = await notice_locale(self._store, conversation)
        text = messages.text("handoff_cancelled", locale, self._company)
        try:
            ticket, notice = await self._lifecycle.cancel(ticket.id, text)
        except InvalidTransition:  # an agent claimed it a moment ago: they answer now
            return None
        await tell_ticket(self._broadcaster, ticket, HandoffCancelled(text, ticket.id))
        self.webhooks.fire(WebhookEvent.CANCEL, ticket)
        return notice

    async def _summary(self, turns: Sequence[Turn], reasons: Sequence[str]) -> str:
        # Small talk ("hi", "how are you?") is no request: a greeting led the summary.
        chatted = {
            turns[i - 1].seq
            for i, t in enumerate(turns)
            if i and t.role is Role.BOT and t.kind is TurnKind.SMALLTALK
        }
        said = [t.text for t in turns if t.role is Role.CUSTOMER and t.seq not in chatted]
        tried = [c.title for t in turns if t.role is Role.BOT for c in t.citations]
        fallback = extractive_summary(said, tried, reasons)
        if self._summarizer is None or Reason.SYSTEM_ERROR.value in reasons:
            return fallback  # the LLM just failed this customer: do not wait on it again
        transcript = [(_ROLE_NAMES[t.role], t.text) for t in turns[-12:]]
        prompt = self._prompts.render("summary.j2", transcript=transcript, reasons=reasons)
        try:
            text = await self._summarizer.complete(
                [{"role": "user", "content": prompt}], max_tokens=160
            )
        except LLMError:
            return fallback
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()][:5]
        return "\n".join(lines) if len(lines) >= 2 else fallback


async def notice_locale(store: ConversationStore, conversation: Conversation) -> str:
    """The language of the system notices posted in `conversation` (issue 17)."""
    return messages.notices_locale(conversation, await store.turns(conversation.id))


def meaning_detectors(
    config: EscalationConfig,
    embedder: Embedder,
    topics: Sequence[Topic],
    emotion_model: EmotionModel | None = None,
) -> MeaningDetectors:
    """The message-level detectors with every example sentence embedded once, in one batch."""
    human, *vectors = embed_examples(
        embedder,
        [HUMAN_REQUEST_EXAMPLES, *(t.examples for t in topics), *(t.unlike for t in topics)],
    )
    return MeaningDetectors(
        config=config,
        human_vectors=human,
        topics=topics,
        topic_vectors=vectors[: len(topics)],
        unlike_vectors=vectors[len(topics) :],
        emotion_model=emotion_model,
    )


def embed_examples(embedder: Embedder, groups: Sequence[Sequence[str]]) -> list[Any]:
    """Example sentences embedded once at start-up (one matrix per group)."""
    flat = [text for group in groups for text in group]
    vectors = embedder.embed_documents(flat) if flat else np.zeros((0, embedder.dimension))
    out, start = [], 0
    for group in groups:
        out.append(vectors[start : start + len(group)])
        start += len(group)
    return out
