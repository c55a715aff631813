"""The responder: one customer message in, one stored, grounded, cited bot turn out."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import anyio

from bot.answering import messages
from bot.answering.account_answers import (
    ACCOUNT_SOURCE,
    account_answer,
    account_citation,
    account_topic,
    cannot_see,
    greeting,
)
from bot.answering.agent_context import AgentContext, reply_text, with_agent_turns
from bot.answering.answer_signals import signals
from bot.answering.composer import Composer
from bot.answering.confidence import confidence
from bot.answering.coverage import Coverage, coverage, not_offered, refusal_text, uncovered
from bot.answering.empathy import acknowledgement, read_feeling
from bot.answering.extractive import asks_something, asks_what_to_do
from bot.answering.followup import (
    last_cited,
    last_topic,
    needs_context,
    refers_back,
    standalone_query,
    topic_of,
    with_context,
)
from bot.answering.grounding import GroundingChecker
from bot.answering.injection import instructions_only, looks_like_injection, without_injection
from bot.answering.interfaces import Answerer, ArticleSearch
from bot.answering.language import detect_language
from bot.answering.markup import without_markup
from bot.answering.passages import (
    AnswerRequest,
    article_result,
    cut_steps,
    passages_from,
    with_opening,
    with_rest_of_steps,
)
from bot.answering.prompting import PromptBuilder
from bot.answering.smalltalk import classify
from bot.conversations.models import (
    AnswerKind,
    AnswerMeta,
    Citation,
    Conversation,
    Mode,
    RetrievedArticle,
    Role,
    Turn,
    TurnKind,
)
from bot.conversations.store import ConversationStore
from bot.customers.connector import Connector
from bot.customers.identity import Identity, restored
from bot.errors import InvalidInput, LLMError
from bot.handoff.escalator import Escalator
from bot.handoff.waiting import (
    accepts_offer,
    declines_offer,
    general_question,
    wants_to_cancel,
)
from bot.helpcenter.announcements import Announcements, Audience
from bot.helpcenter.page_help import PageHelp
from bot.llm.interfaces import ChatModel
from bot.settings import AnswerConfig, GroundingConfig
from escalation.policy import assess
from escalation.types import EscalationDecision, Reason
from retrieval.stopwords import content_terms
from retrieval.types import Chunk, SearchResult

DEFAULT_LOCALE = "en"
LOCALES_TTL_S = 60.0
SUGGESTIONS = 3  # articles a refusal suggests, at most
# The chunks that open an article (its lede and first section) answer the question it declares:
# "What is your return policy?" needs the return-window table, which the search ranks low.
OPENING_CHUNKS = 2
SUGGESTION_RELEVANCE = 0.2  # ... and only ones at least this close to the question
# A message read as a follow-up is a new subject when it names one (this many content words),
# its own words find an article this relevant, and the follow-up query's best is not among
# their first NEW_SUBJECT_RANKS ("how long to Canada?", then "can i return this blender if it
# arrived broken?"); "how long until i get it?" names nothing.
NEW_SUBJECT_TERMS = 3
NEW_SUBJECT_RELEVANCE = 0.6
NEW_SUBJECT_RANKS = 3


def _new_subject(own: Sequence[SearchResult], followed: Sequence[SearchResult]) -> bool:
    """The message's own words find an article strongly, and not the one its follow-up
    query finds first: it asks about something new, whatever its "it" or "ok"."""
    if not own or not followed or own[0].relevance < NEW_SUBJECT_RELEVANCE:
        return False
    return followed[0].article_id not in {r.article_id for r in own[:NEW_SUBJECT_RANKS]}


def _handoff_notice(turn: Turn, history: Sequence[Turn]) -> Turn | None:
    """The handoff notice stored right after `turn` (a customer message handed to a person,
    or the answer after which the chat was), which a resend of the message gets again."""
    after = next((t for t in history if t.seq > turn.seq), None)
    return after if after is not None and after.kind is TurnKind.HANDOFF else None


def _offered_a_person(history: Sequence[Turn], turn: Turn) -> bool:
    """The bot's last words before `turn` (system notices aside) were a refusal or a failure,
    which either hand the chat to a person or ask whether the customer would like one."""
    said = [t for t in history if t.seq < turn.seq and t.role is not Role.SYSTEM]
    return bool(said) and said[-1].kind in {TurnKind.REFUSAL, TurnKind.FALLBACK}


def _asked_if_person(history: Sequence[Turn], turn: Turn) -> bool:
    """The last turn before `turn` is the bot asking whether the customer would like a person."""
    before = [t for t in history if t.seq < turn.seq]
    return bool(before) and AnswerMeta.of(before[-1].meta or {}).offered_person


def _writing_language(history: Sequence[Turn], page_locale: str) -> str:
    """The language of the customer's latest message that tells one, else the page's locale:
    "¿y a Canadá?" after a Spanish question is Spanish, though too short to tell alone."""
    said = (t.text for t in reversed(history) if t.role is Role.CUSTOMER)
    return next(filter(None, map(detect_language, said)), page_locale)


def _still_on(article_id: str, question: str, read: Sequence[SearchResult]) -> bool:
    """A short message read with the chat ("will I get a refund?" after "how do I cancel
    Plus?") still finds first the article the bot last answered from, which names everything
    the message does: it asks about that, not whatever its few words find alone (issue 16)."""
    return (
        bool(read) and read[0].article_id == article_id and coverage(question, read[:1]).share == 1
    )


def answer_key(turn: Turn) -> str:
    """The client id of the bot turn answering this customer turn: one answer per message,
    whichever worker, resend or recovery stores it first."""
    return f"reply-to:{turn.id}"


@dataclass(frozen=True, slots=True)
class ReplyEvent:
    """One step of a reply: the stored customer turn, a piece of text, the stored bot turn,
    the handoff notice when a person takes over, or another stored system notice."""

    type: Literal["customer_turn", "token", "done", "handoff", "notice"]
    text: str = ""
    turn: Turn | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    """A finished bot answer before it is stored."""

    text: str
    kind: AnswerKind
    citations: tuple[Citation, ...]
    confidence: float
    meta: AnswerMeta


def _steps_read_on(
    kb: ArticleSearch, results: Sequence[SearchResult], cuts: Sequence[Sequence[int]]
) -> list[SearchResult]:
    """`results` with the chunks that carry on a list of steps their chunks end in (`cuts`:
    each result's `cut_steps`): a chunk boundary in a long list cut "5. Restart your browser"
    off the four steps before it."""
    out = []
    for result, cut in zip(results, cuts, strict=True):
        found = {c.id: c for n in cut for c in kb.chunks_of(result.article_id, n, 1)}
        out.append(with_rest_of_steps(result, found) if found else result)
    return out


async def _unless_refused(
    answer: AsyncIterator[str | Draft], instead: AsyncIterator[str | Draft]
) -> AsyncIterator[str | Draft]:
    """`answer`, or where it refuses, `instead`: a sensitive topic's own self-help question
    ("my ex still knows my password and logged in" finds no article of its own, but securing
    the account cannot wait for the person). Not streamed: `answer` is read whole before it is
    known to be a refusal, and `instead` runs only then."""
    items = [item async for item in answer]
    last = items[-1]
    if isinstance(last, Draft) and last.kind is TurnKind.REFUSAL:
        items = [item async for item in instead]
    for item in items:
        yield item


class Responder:
    """Orchestrates follow-up rewriting, retrieval, generation, grounding and storage."""

    def __init__(
        self,
        *,
        kb: ArticleSearch,
        store: ConversationStore,
        answerer: Answerer,
        fallback: Answerer,
        checker: GroundingChecker,
        prompts: PromptBuilder,
        config: AnswerConfig,
        grounding: GroundingConfig,
        rewriter: ChatModel | None = None,
        escalator: Escalator | None = None,
        agent_context: AgentContext | None = None,
        announcements: Announcements | None = None,
        connector: Connector | None = None,
        page_help: PageHelp | None = None,
    ) -> None:
        self._kb = kb
        self._store = store
        self._answerer = answerer
        self._fallback = fallback
        self._checker = checker
        self._prompts = prompts
        self._config = config
        self._article_urls = config.citation_links == "article_url"
        self._grounding = grounding
        self._rewriter = rewriter
        self._escalator = escalator
        self._agent_context = agent_context
        self._announcements = announcements
        self._connector = connector
        self._page_help = page_help
        self._kb_locales: tuple[float, frozenset[str]] | None = None

    def validate(self, text: str) -> str:
        """The message stripped; raises InvalidInput when empty or too long."""
        cleaned = text.strip()
        if not cleaned:
            raise InvalidInput("the message is empty", "empty_message")
        if len(cleaned) > self._config.max_message_chars:
            raise InvalidInput(
                f"the message is {len(cleaned):,} characters; the limit is "
                f"{self._config.max_message_chars:,}",
                "message_too_long",
            )
        return cleaned

    async def reply(
        self, conversation_id: str, text: str, *, client_id: str | None = None
    ) -> AsyncIterator[ReplyEvent]:
        """Store the customer's message, then stream and store the bot's answer."""
        cleaned = self.validate(text)
        conversation = await self._store.get(conversation_id)
        turn = await self._store.append(
            conversation_id, Role.CUSTOMER, cleaned, client_id=client_id
        )
        yield ReplyEvent("customer_turn", turn=turn)
        async for event in self._respond(conversation, turn):
            yield event

    async def resume(self, turn: Turn) -> AsyncIterator[ReplyEvent]:
        """Answer a stored customer turn that has no answer yet (one left by a crash)."""
        conversation = await self._store.get(turn.conversation_id)
        async for event in self._respond(conversation, turn):
            yield event

    async def _respond(self, conversation: Conversation, turn: Turn) -> AsyncIterator[ReplyEvent]:
        """The answer to `turn`: the stored one when it has one, else a new one (or a handoff)."""
        conversation_id = conversation.id
        history = await self._store.turns(conversation_id)
        key = answer_key(turn)
        answered = next((t for t in history if t.client_id == key), None)
        if answered is not None:  # a resent message that was already answered
            yield ReplyEvent("token", text=answered.text)
            yield ReplyEvent("done", turn=answered)
            notice = _handoff_notice(answered, history)
            if notice is not None:
                yield ReplyEvent("handoff", text=notice.text, turn=notice)
                return
            async for event in self._finish_handoff(conversation, turn, answered, history):
                yield event
            return
        notice = _handoff_notice(turn, history)
        if notice is not None:  # a resent message that was handed to a person
            yield ReplyEvent("handoff", text=notice.text, turn=notice)
            return
        if conversation.mode is Mode.WAITING:
            async for event in self._while_waiting(conversation, turn, history):
                yield event
            return
        if conversation.mode is not Mode.BOT:
            return
        if self._escalator is not None and _asked_if_person(history, turn):
            if accepts_offer(turn.text):
                decision = self._escalator.explicit_request("the customer said yes to a person")
                handed = await self._escalator.escalate(conversation, decision)
                yield ReplyEvent("handoff", text=handed.notice.text, turn=handed.notice)
                return
            if declines_offer(turn.text):  # not a question to search the help center for
                locale = self._locale(turn.text, _writing_language(history, conversation.locale))
                text = messages.text("offer_declined", locale, self._config.company_name)
                stored = await self._store.append(
                    conversation_id,
                    Role.BOT,
                    text,
                    confidence=1.0,
                    kind=TurnKind.SMALLTALK,
                    meta=AnswerMeta(locale).as_json(),
                    client_id=key,
                )
                yield ReplyEvent("token", text=text)
                yield ReplyEvent("done", turn=stored)
                return
        instructions = instructions_only(turn.text)
        decision = await self._message_check(turn, history)
        charged = Reason.EMOTION in decision.reasons
        feeling = None if instructions else read_feeling(turn.text, charged=charged)
        if self._escalator is not None and decision.escalate and not decision.answers_first:
            handed = await self._escalator.escalate(conversation, decision, feeling=feeling)
            yield ReplyEvent("handoff", text=handed.notice.text, turn=handed.notice)
            return
        before = decision  # a feeling acknowledged, or self-help given, before the person
        earlier = [t for t in history if t.seq < turn.seq]
        writing = _writing_language(history, conversation.locale)
        empathy = ""
        if feeling is not None:  # issue 17: one sentence for how they feel, then the answer
            empathy = acknowledgement(feeling, self._locale(turn.text, writing))
            empathy += "\n\n"
            yield ReplyEvent("token", text=empathy)
        draft: Draft | None = None
        who = restored(await self._store.identity(conversation_id))
        plan = who.plan if who is not None else None  # verified plans only
        audience = Audience(conversation.locale, conversation.page_url, plan)
        answer = self._answer(turn.text, earlier, writing, self._kb, who, audience=audience)
        if before.self_help:
            self_help = self._answer(
                before.self_help, earlier, writing, self._kb, who, audience=audience
            )
            # Told what happened and asked nothing, or only what to do: the self-help is the
            # answer ("a caller asked and I read him my verification code" found the two-step
            # article's SMS line; "someone changed the email on my account ... what do i do"
            # the reset-password article).
            told = not asks_something(turn.text) or asks_what_to_do(turn.text)
            answer = self_help if told else _unless_refused(answer, self_help)
        async for item in answer:
            if isinstance(item, Draft):
                draft = item
            else:
                yield ReplyEvent("token", text=item)
        assert draft is not None
        if self._offers_person(draft) and not before.answers_first:
            offer = "\n\n" + messages.text(
                "offer_person", draft.meta.locale, self._config.company_name
            )
            yield ReplyEvent("token", text=offer)
            draft = replace(
                draft, text=draft.text + offer, meta=replace(draft.meta, offered_person=True)
            )
        if feeling is not None:
            draft = replace(
                draft,
                text=empathy + draft.text,
                meta=replace(draft.meta, feeling=feeling.feeling.value),
            )
        after = await self._handoff_after(turn, draft, history, before)
        if after.escalate:  # stored with the answer: a stop before the handoff is finished later
            draft = replace(draft, meta=replace(draft.meta, hands_over=True))
        stored = await self._store.append(
            conversation_id,
            Role.BOT,
            draft.text,
            citations=draft.citations,
            confidence=draft.confidence,
            kind=draft.kind,
            meta=draft.meta.as_json(),
            client_id=key,
        )
        yield ReplyEvent("done", turn=stored)
        if self._escalator is not None and after.escalate:
            handed = await self._escalator.escalate(conversation, after)
            yield ReplyEvent("handoff", text=handed.notice.text, turn=handed.notice)

    async def _message_check(self, turn: Turn, history: Sequence[Turn]) -> EscalationDecision:
        """What the customer's message alone asks for: a person now, a feeling acknowledged, or
        self-help first (none for instructions to the bot, which are not the customer's own)."""
        if self._escalator is None or instructions_only(turn.text):
            return EscalationDecision(False)
        return await self._escalator.check_message(turn, history)

    async def _handoff_after(
        self,
        turn: Turn,
        answer: Draft | Turn,
        history: Sequence[Turn],
        before: EscalationDecision,
    ) -> EscalationDecision:
        """Whether a person takes the chat after `answer` to `turn` (`history`: the turns before
        the answer): the self-help given first (`before`), or the answer's own checks (low
        confidence, a weak streak)."""
        if self._escalator is None or before.answers_first:
            return before
        meta = answer.meta if isinstance(answer, Draft) else AnswerMeta.of(answer.meta)
        if meta.injection:
            return EscalationDecision(False)
        decision = await self._escalator.check_answer(
            turn, answer.kind, answer.confidence, answer.citations, history
        )
        if not decision.escalate:
            return decision
        return assess([*decision.findings, *before.findings], dict(decision.scores))

    async def _finish_handoff(
        self, conversation: Conversation, turn: Turn, answer: Turn, history: Sequence[Turn]
    ) -> AsyncIterator[ReplyEvent]:
        """The handoff due after `answer` that a stop cut off (issue 15), once: its decision is
        made again from the same message and answer."""
        later = [t for t in history if t.seq > answer.seq]
        due = AnswerMeta.of(answer.meta).hands_over
        if self._escalator is None or not due or conversation.mode is not Mode.BOT or later:
            return
        asked = [t for t in history if t.seq <= turn.seq]
        decision = await self._message_check(turn, asked)
        if not decision.escalate or decision.answers_first:
            decision = await self._handoff_after(turn, answer, asked, decision)
        if decision.escalate:
            handed = await self._escalator.escalate(conversation, decision)
            yield ReplyEvent("handoff", text=handed.notice.text, turn=handed.notice)

    def _offers_person(self, draft: Draft) -> bool:
        """A refusal or failure asks whether the customer would like a person when handoffs
        are on but this one does not hand the chat over by itself (a handoff notice says so)."""
        escalator = self._escalator
        return (
            escalator is not None
            and escalator.config.enabled
            and draft.kind in (TurnKind.REFUSAL, TurnKind.FALLBACK)
            and not draft.meta.injection
            and not escalator.hands_off(draft.kind, draft.confidence)
        )

    async def _while_waiting(
        self, conversation: Conversation, turn: Turn, history: Sequence[Turn]
    ) -> AsyncIterator[ReplyEvent]:
        """Issue 17, never stranded: while nobody has taken the chat yet, the customer can
        take the request back, and a question the bot answers confidently gets a labelled
        answer (agents see it too; the request stays). Anything else waits for the person."""
        if self._escalator is None:
            return
        if wants_to_cancel(turn.text) or (
            declines_offer(turn.text) and _offered_a_person(history, turn)
        ):
            notice = await self._escalator.cancel(conversation)
            if notice is not None:
                yield ReplyEvent("notice", text=notice.text, turn=notice)
            return
        if not general_question(turn.text):
            return  # a detail or their own case: for the person
        # Read on its own unless it leans on the chat ("and if it's broken?"): a detail must
        # not become a follow-up of the earlier question, answered again with confidence; in
        # the language the customer has been writing.
        hint = _writing_language(history, conversation.locale)
        who = restored(await self._store.identity(conversation.id))
        earlier = [t for t in history if t.seq < turn.seq] if needs_context(turn.text) else []
        answer = self._answer(turn.text, earlier, hint, self._kb, who)
        draft = [item async for item in answer if isinstance(item, Draft)][-1]
        if (
            draft.kind is not TurnKind.ANSWER
            or draft.confidence < self._escalator.config.low_confidence
            or draft.meta.injection
            or (await self._store.get(conversation.id)).mode is not Mode.WAITING
        ):
            return  # unsure, or a person took the chat meanwhile: the person answers
        text = messages.text(
            "while_waiting", draft.meta.locale, self._config.company_name, answer=draft.text
        )
        stored = await self._store.append(
            conversation.id,
            Role.BOT,
            text,
            citations=draft.citations,
            confidence=draft.confidence,
            kind=draft.kind,
            meta=replace(draft.meta, while_waiting=True).as_json(),
            client_id=answer_key(turn),
        )
        yield ReplyEvent("token", text=text)
        yield ReplyEvent("done", turn=stored)

    async def preview(
        self, question: str, *, locale: str | None = None, kb: ArticleSearch | None = None
    ) -> Draft:
        """The answer a customer's first message would get, from `kb` (default: the live
        articles); nothing is stored and nobody is escalated to."""
        cleaned = self.validate(question)
        answer = self._answer(cleaned, (), locale, kb or self._kb, staff=True)
        return [item async for item in answer if isinstance(item, Draft)][-1]

    async def _answer(
        self,
        question: str,
        earlier: Sequence[Turn],
        locale_hint: str | None,
        kb: ArticleSearch,
        who: Identity | None = None,
        *,
        audience: Audience | None = None,
        staff: bool = False,
    ) -> AsyncIterator[str | Draft]:
        """The answer's text as it is approved, then the finished Draft (always last). `who`
        is the verified customer (None: anonymous); an active announcement for `audience` that
        matches the question comes first, and articles mapped to its page win close calls
        (issue 21); `staff` previews see every plan's articles."""
        question = without_markup(question)
        locale = self._locale(question, locale_hint or (who.locale if who else None))
        company = self._config.company_name
        small = classify(question)
        if small is not None:
            if small == "greeting" and who is not None and who.name:
                reply = greeting(who.name, locale, company)
            else:
                reply = messages.text(small, locale, company)
            yield reply
            yield Draft(reply, TurnKind.SMALLTALK, (), 1.0, AnswerMeta(locale))
            return
        meta = AnswerMeta(locale)
        probe = not question  # nothing but markup: a probe, or code pasted without a question
        if probe or looks_like_injection(question):
            meta = replace(meta, injection=True)
            if probe or instructions_only(question):
                reply = messages.text("injection", locale, company)
                yield reply
                yield Draft(reply, TurnKind.REFUSAL, (), 0.0, meta)
                return
            question = without_injection(question)
        if self._announcements is not None and audience is not None:
            found = await anyio.to_thread.run_sync(self._announcements.find, question, audience)
            if found is not None:
                announced = found.announcement
                reply = messages.text(
                    "announcement", locale, company, title=announced.title, text=announced.text
                )
                yield reply
                score = confidence(TurnKind.ANSWER, min(found.similarity, 1.0), 1.0)
                meta = replace(meta, announcement=announced.id)
                yield Draft(reply, TurnKind.ANSWER, (announced.citation(),), score, meta)
                return
        if self._agent_context is not None:  # issue 16: what an agent said answers it
            said = await anyio.to_thread.run_sync(self._agent_context.find, question, earlier)
            if said is not None:
                reply = reply_text(said, locale)
                yield reply
                score = confidence(TurnKind.ANSWER, min(said.score, 1.0), 1.0)
                meta = replace(
                    meta,
                    from_agent_turn=said.turn_id,
                    agent_score=round(said.score, 4),
                    agent_exception=said.exception,
                )
                yield Draft(reply, TurnKind.ANSWER, (), score, meta)
                return
        unseen = ""
        topic = account_topic(question) if who is not None else None
        if who is not None and topic is not None and self._connector is not None:
            lookup = await self._connector.lookup(who.user_id)  # this conversation's id only
            if lookup.account is not None:
                reply = account_answer(topic, question, lookup.account, locale) + " [1]"
                yield reply
                meta = replace(meta, source=ACCOUNT_SOURCE, account_topic=topic)
                citation = account_citation(reply, locale)
                yield Draft(reply, TurnKind.ANSWER, (citation,), 0.9, meta)
                return
            meta = replace(meta, account_problem=lookup.problem)
            unseen = cannot_see(locale) + "\n\n"  # what it cannot see, then the help center
            yield unseen
        plan = None if staff else (who.plan if who is not None else "")
        page = audience.page_url if audience is not None else ""
        answer = self._from_articles(question, earlier, locale, kb, plan, page, meta)
        async for item in answer:
            yield replace(item, text=unseen + item.text) if isinstance(item, Draft) else item

    async def _from_articles(
        self,
        question: str,
        earlier: Sequence[Turn],
        locale: str,
        kb: ArticleSearch,
        plan: str | None,
        page: str,
        meta: AnswerMeta,
    ) -> AsyncIterator[str | Draft]:
        """The help center's answer (or refusal): text as approved, then the Draft; articles
        mapped to the customer's `page` win close calls, and the article that declares the
        question asked comes first."""
        company = self._config.company_name
        query = await self._standalone(question, earlier)
        results, note = await self._search(query, locale, kb, plan)
        if (
            query != question
            and len(content_terms(question)) >= NEW_SUBJECT_TERMS
            and not refers_back(question)
        ):
            own, own_note = await self._search(question, locale, kb, plan)
            if _new_subject(own, results):
                query, results, note = question, own, own_note
        elif query == question and len(content_terms(question)) < NEW_SUBJECT_TERMS:
            cited = last_cited(earlier)
            said = [t.text for t in earlier if t.role is Role.CUSTOMER]
            if (
                cited is not None
                and said
                and (not results or results[0].article_id != cited.article_id)
            ):
                context = with_context(question, said, topic_of(cited))
                read, read_note = await self._search(context, locale, kb, plan)
                if _still_on(cited.article_id, question, read):
                    query, results, note = context, read, read_note
        top = results[0].relevance if results else 0.0
        chance = results[0].probability if results else None
        agreed = results[0].keyword_share if results else None
        declared = ""
        opening: list[Chunk] = []  # the declaring article's, as far as the customer may see
        if self._page_help is not None:
            if page:
                results = await self._page_help.prefer(results, page, locale)
            declared = await self._page_help.declared(question, locale)
            if declared:
                its = await anyio.to_thread.run_sync(kb.chunks_of, declared, 0, OPENING_CHUNKS)
                opening = [c for c in its if c.for_plan(plan or "")]
            if opening and all(r.article_id != declared for r in results):
                results = [article_result(opening), *results]
            results = sorted(results, key=lambda r: r.article_id != declared)
        # An editor declared this very question on the first article: it answers, whatever
        # the search's scores (kb_content/README.md, `questions`).
        vouched = bool(declared) and bool(results) and results[0].article_id == declared
        covered = coverage(query, results, company)
        heard = signals(query, results, covered)  # for evaluations (issue 16)
        meta = replace(
            meta,
            query=query,
            top_relevance=round(top, 4),
            probability=chance,
            retrieved=tuple(RetrievedArticle(r.article_id, r.title) for r in results),
            coverage=round(covered.share, 4),
            signals={name: round(value, 4) for name, value in heard.items()},
        )
        # A fully grounded answer's confidence: under the floor, no answer from these articles
        # would be trusted, so the customer gets the refusal instead of a likely wrong answer.
        if vouched:
            top, chance, agreed, covered = 1.0, None, None, Coverage(1.0, ())
        best = confidence(TurnKind.ANSWER, top, 1.0, covered.share, chance, agreed)
        if (
            top < self._config.refusal_relevance
            or covered.share < self._config.min_coverage
            or best < self._config.refusal_confidence
        ):
            meta = replace(meta, missing=covered.missing)
            reply, suggested = self._refusal_with_suggestions(results, locale)
            yield reply
            score = confidence(TurnKind.REFUSAL, top, 0)
            yield Draft(reply, TurnKind.REFUSAL, suggested, score, meta)
            return
        # Issue 16: "what about Spain?", "do you have a student discount?"
        missing = uncovered(question, earlier, results) or not_offered(question, covered, company)
        if missing and not vouched:
            meta = replace(meta, uncovered=tuple(missing))
            reply = refusal_text(missing, [r.title for r in results], locale, company)
            yield reply
            yield Draft(reply, TurnKind.REFUSAL, (), confidence(TurnKind.REFUSAL, top, 0), meta)
            return
        if vouched:
            results[0] = with_opening(results[0], opening)
        read = results[: self._config.passages]
        cuts = [cut_steps(r) for r in read]
        if any(cuts):
            results = await anyio.to_thread.run_sync(_steps_read_on, kb, read, cuts)
        request = AnswerRequest(
            question=question,
            query=query,
            passages=passages_from(results, self._config.passages, self._article_urls),
            history=[
                (t.role, t.text) for t in with_agent_turns(earlier, self._config.history_turns)
            ],
            locale=locale,
            declared=vouched,
        )
        composer = Composer(request.passages, self._checker, verbatim=self._answerer.verbatim)
        if note:
            yield composer.add_plain(note)
        kind: AnswerKind = TurnKind.ANSWER
        meta = replace(meta, backend=self._answerer.name)
        try:
            async for shown in composer.feed(self._answerer.stream(request)):
                yield shown
        except LLMError as exc:
            meta = replace(meta, error=str(exc))
            kind = TurnKind.FALLBACK
            yield composer.add_plain(messages.text("llm_failure", locale, company))
        result = composer.result
        grounded = round(result.grounded_ratio, 4)
        meta = replace(meta, grounded_ratio=grounded)
        if kind is TurnKind.ANSWER and (
            result.supported == 0 or result.grounded_ratio < self._grounding.min_kept_ratio
        ):
            meta = replace(meta, fallback="grounding")
            composer.verbatim = True
            if result.parts:
                composer.result.parts.append("\n\n")
            async for shown in composer.feed(self._fallback.stream(request)):
                yield shown
        meta = replace(meta, dropped=tuple(result.dropped))
        if not result.text:
            reply = messages.text("refusal", locale, company)
            yield reply
            yield Draft(reply, TurnKind.REFUSAL, (), confidence(TurnKind.REFUSAL, top, 0), meta)
            return
        citations = tuple(result.citations[n] for n in sorted(result.citations))
        score = confidence(
            kind, top, grounded if kind is TurnKind.ANSWER else 0, covered.share, chance, agreed
        )
        yield Draft(result.text, kind, citations, score, meta)

    def _refusal_with_suggestions(
        self, results: Sequence[SearchResult], locale: str
    ) -> tuple[str, tuple[Citation, ...]]:
        """The refusal, then the closest articles as reading suggestions (not as the answer)."""
        company = self._config.company_name
        close = [r for r in results if r.relevance >= SUGGESTION_RELEVANCE]
        suggested = passages_from(close, SUGGESTIONS, self._article_urls)
        lines = [messages.text("refusal", locale, company)]
        if suggested:
            lines += ["", messages.text("may_help", locale, company)]
            lines += [f"- {p.title} [{p.n}]" for p in suggested]
        return "\n".join(lines), tuple(p.citation() for p in suggested)

    def _locale(self, question: str, hint: str | None) -> str:
        chosen = detect_language(question) or hint or DEFAULT_LOCALE
        return chosen.split("-")[0].lower()

    async def _locales(self, kb: ArticleSearch) -> frozenset[str]:
        """The locales of `kb`; the live ones are cached a minute (publishing adds some)."""
        if kb is not self._kb:
            return await anyio.to_thread.run_sync(kb.locales)
        now = time.monotonic()
        if self._kb_locales is None or now - self._kb_locales[0] > LOCALES_TTL_S:
            self._kb_locales = (now, await anyio.to_thread.run_sync(kb.locales))
        return self._kb_locales[1]

    async def _standalone(self, question: str, earlier: Sequence[Turn]) -> str:
        said = [t.text for t in earlier if t.role is Role.CUSTOMER]
        if not said:
            return question
        if self._rewriter is not None and needs_context(question):
            try:
                rewritten = await self._rewriter.complete(
                    self._prompts.rewrite_messages(question, said[-3:], last_topic(earlier)),
                    max_tokens=64,
                )
                line = rewritten.strip().splitlines()[0].strip() if rewritten.strip() else ""
                if line:
                    return line
            except LLMError:
                pass  # the heuristic below is the documented fallback
        return standalone_query(question, said, last_topic(earlier))

    async def _search(
        self, query: str, locale: str, kb: ArticleSearch, plan: str | None
    ) -> tuple[list[SearchResult], str]:
        """Results in the customer's locale; other locales' articles (with a note) if weak.
        Only articles for everyone and the customer's `plan` (see ArticleSearch.search)."""
        k = self._config.passages
        if locale in await self._locales(kb):
            results = await anyio.to_thread.run_sync(
                lambda: kb.search(query, k, locale=locale, plan=plan)
            )
            if results and results[0].relevance >= self._config.refusal_relevance:
                return results, ""
        results = await anyio.to_thread.run_sync(lambda: kb.search(query, k, plan=plan))
        if results and results[0].locale != locale:
            note = messages.NOT_IN_LANGUAGE.get(locale) or messages.text(
                "other_language", locale, self._config.company_name
            )
            return results, note
        return results, ""
