"""What the support agents said in this chat, as context for the bot's next answers (issue 16).

After an agent hands a chat back, a follow-up about something the agent said (a reference, a
date, a promise) is answered by quoting the agent, and an exception the agent granted ("no
need to send it back") wins over the help center's general rule. Relevance of an agent message
to the question is the real embedder's similarity plus term overlap and a few cues (the
customer asks for a reference/date/amount the agent's message contains, or refers back to it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.grounding import split_sentences
from bot.conversations.models import AgentTurnMeta, Role, Turn, TurnKind
from retrieval.interfaces import Embedder
from retrieval.stopwords import content_terms

# An agent message at least this relevant answers the question (cosine + bonuses, calibrated
# on all-MiniLM-L6-v2: unrelated shop questions score under 0.45, questions about what the
# agent said 0.5 and more). A question this close to the sentence where the agent granted an
# exception is deferred to sooner: stating the general rule against it is the worse mistake.
# (Questions about the exception scored 0.55 and more, others up to 0.39 with fp32 vectors and
# 0.40 with int8 ones: "how do I return a sweater I bought?" against "No need to send the mixer
# back", so the line sits between them.)
MIN_SCORE = 0.5
MIN_EXCEPTION_SCORE = 0.45
OVERLAP_WEIGHT = 0.2
FACT_BONUS = 0.25
RECALL_BONUS = 0.15
MAX_QUOTE_WORDS = 80
MAX_AGENT_TURNS = 10  # the latest ones: each question embeds them again

_EXCEPTION = re.compile(
    r"\b(no need to|you don'?t (have|need) to|you do not (have|need) to|we'?ll waive|we will "
    r"waive|waived?|exception|i'?ve refunded|i have refunded|(you can|feel free to) keep|"
    r"free of charge|on us|no charge|no es necesario|no hace falta|excepci[oó]n|"
    r"te he reembolsado)\b",
    re.IGNORECASE,
)
# An agent message that commits to something ("it will arrive Friday", "I've sent a
# replacement"); status lines such as "I'm checking order 1234 now" answer nothing.
_COMMITS = re.compile(
    r"\b(will|won'?t|\w+'ll|should|going to|(i|we) ('ve|have) \w+|approved|issued|cancell?ed|"
    r"replacement|refund(ed)?|credit(ed)?|voy a|vamos a|te (he|hemos) \w+)\b",
    re.IGNORECASE,
)
_RECALL = re.compile(
    r"\b(again|you said|did you say|you mentioned|you told|told me|you promised|the agent|"
    r"earlier|before|otra vez|dijiste|me dijeron)\b",
    re.IGNORECASE,
)
_ASKS = {
    "reference": re.compile(
        r"\b(reference|ref|number|code|confirmation|case|ticket|id|referencia|n[uú]mero)\b", re.I
    ),
    "date": re.compile(r"\b(when|date|day|how soon|by what|cu[aá]ndo|fecha|d[ií]a)\b", re.I),
    "amount": re.compile(r"\b(how much|amount|total|cu[aá]nto|importe)\b", re.I),
}
_MONTHS = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(tember)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
    r"septiembre|octubre|noviembre|diciembre"
)
_HAS = {
    "reference": re.compile(
        r"\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{3,}\b|#\d{3,}"
    ),
    "date": re.compile(
        rf"\b(\d{{1,2}}\s+({_MONTHS})|({_MONTHS})\s+\d{{1,2}}|\d{{1,2}}/\d{{1,2}}|tomorrow|"
        r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|within \d+)\b",
        re.IGNORECASE,
    ),
    "amount": re.compile(r"[$€£]\s?\d|\d\s?(usd|eur|dollars?)\b", re.IGNORECASE),
}


@dataclass(frozen=True, slots=True)
class AgentStatement:
    """An agent's message that answers the customer's question."""

    turn_id: int
    agent_name: str
    quote: str
    score: float
    exception: bool
    note: bool = False  # a note the agent left for the bot when handing the chat back


def with_agent_turns(earlier: Sequence[Turn], recent: int) -> list[Turn]:
    """The last `recent` turns, preceded by any older agent turns (in order): what an agent
    told the customer stays in the answer prompt however long ago it was."""
    cut = max(0, len(earlier) - recent) if recent else len(earlier)
    return [t for t in earlier[:cut] if t.role is Role.AGENT] + list(earlier[cut:])


def grants_exception(text: str) -> bool:
    """True when an agent's message makes an exception to the usual rules for this customer."""
    return bool(_EXCEPTION.search(text))


def informative(text: str) -> bool:
    """True when an agent's message states something the bot may repeat: a reference, date or
    amount, an exception, or a commitment (not a greeting or a status line)."""
    return bool(
        grants_exception(text)
        or _COMMITS.search(text)
        or any(h.search(text) for h in _HAS.values())
    )


def _quote(sentences: Sequence[str], scores: Sequence[float]) -> str:
    """The message, or its best sentences in reading order when it is long."""
    if sum(len(s.split()) for s in sentences) <= MAX_QUOTE_WORDS:
        return " ".join(sentences)
    best = sorted(range(len(sentences)), key=lambda i: -scores[i])
    picked: list[int] = []
    words = 0
    for i in best:
        if picked and words + len(sentences[i].split()) > MAX_QUOTE_WORDS:
            break
        picked.append(i)
        words += len(sentences[i].split())
    return " ".join(sentences[i] for i in sorted(picked))


class AgentContext:
    """Finds the agent message of a conversation that answers the customer's question."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def find(self, question: str, earlier: Sequence[Turn]) -> AgentStatement | None:
        """The most relevant earlier agent message for `question`, if it is relevant enough
        (the latest wins a tie: agents correct themselves); one that states the kind of fact
        asked for (a reference, a date, an amount) wins over one that does not (a hand-back
        note "refunded, no return needed" over the message with the refund's reference)."""
        said = [t for t in earlier if t.role is Role.AGENT and t.text.strip()][-MAX_AGENT_TURNS:]
        if not said:
            return None
        vector = self._embedder.embed_query(question)
        asked = set(content_terms(question))
        recall = RECALL_BONUS if _RECALL.search(question) else 0.0
        wanted = [_HAS[kind] for kind, asks in _ASKS.items() if asks.search(question)]
        best: AgentStatement | None = None
        best_rank = (False, 0.0)
        for turn in said:
            sentences = [s for s in split_sentences(turn.text) if not s.rstrip().endswith("?")]
            if not sentences:
                continue
            text = " ".join(sentences)
            if turn.kind is not TurnKind.HANDBACK_NOTE and not informative(text):
                continue
            similarity = self._embedder.embed_documents([text, *sentences]) @ vector
            whole, per_sentence = float(similarity[0]), [float(x) for x in similarity[1:]]
            shared = asked & set(content_terms(text))
            linked = OVERLAP_WEIGHT * len(shared) / len(asked) if asked else 0.0
            linked += recall
            # A single short sentence can resemble any question: it counts half.
            score = max(whole, (whole + max(per_sentence)) / 2) + linked
            # It states the kind of fact asked for (a reference, date or amount): a bonus when
            # the question is linked to it (shared words or a recall cue).
            states = any(fact.search(text) for fact in wanted)
            score += FACT_BONUS if states and (shared or recall) else 0.0
            granted = [
                x for s, x in zip(sentences, per_sentence, strict=True) if grants_exception(s)
            ]
            exception = bool(granted) and max(granted) + linked >= MIN_EXCEPTION_SCORE
            if not exception and score < MIN_SCORE:
                continue
            score = max(score, max(granted) + linked) if exception else score
            rank = (states, score)
            if best is None or rank >= best_rank:
                best_rank = rank
                name = AgentTurnMeta.of(turn.meta).agent_name
                quote = _quote(sentences, per_sentence)
                note = turn.kind is TurnKind.HANDBACK_NOTE
                best = AgentStatement(turn.id, name, quote, score, exception, note)
        return best


_NOTE_LEAD = {
    "en": 'When handing this chat back to me, {who} left this note: "{quote}"',
    "es": 'Al devolverme este chat, {who} dejó esta nota: "{quote}"',
}
_REPLY = {
    "en": (
        'Earlier in this chat, {who} wrote: "{quote}"',
        "our agent {name}",
        "our support agent",
        " That arrangement was made for you personally, so it applies here rather than the "
        "general rule in our help center. If you'd like to check anything, press \"Talk to a "
        'person" and our team will pick it up.',
    ),
    "es": (
        'Antes en este chat, {who} escribió: "{quote}"',
        "nuestro agente {name}",
        "nuestro agente de soporte",
        " Ese acuerdo se hizo para ti, así que vale aquí en lugar de la regla general del centro "
        'de ayuda. Si quieres confirmar algo, pulsa "Hablar con una persona" y nuestro equipo te '
        "atenderá.",
    ),
}


def reply_text(statement: AgentStatement, locale: str) -> str:
    """The bot's answer: the agent quoted and named; an exception also offers a person again."""
    lead, named, anonymous, defer = _REPLY.get(locale, _REPLY["en"])
    if statement.note:
        lead = _NOTE_LEAD.get(locale, _NOTE_LEAD["en"])
    who = named.format(name=statement.agent_name) if statement.agent_name else anonymous
    text = lead.format(who=who, quote=statement.quote)
    return text + defer if statement.exception else text
