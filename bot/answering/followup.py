"""Turns a follow-up question into a standalone search query (heuristic; the LLM does better)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.units import heading_of
from bot.conversations.models import Citation, Role, Turn
from retrieval.stopwords import content_terms

_CONNECTOR = re.compile(
    r"^(and|also|but|so|what about|how about|what if|then|same for|y|pero|"
    r"también|tambien|y si|qué pasa si|entonces)\b",
    re.IGNORECASE,
)
# "ok, and ...", "yeah, ...": taking in the bot's last answer before the question.
_ACKNOWLEDGES = re.compile(
    r"^(ok|okay|alright|all right|cool|yeah|yep|got it|i see|hmm|oh|ah|vale|bueno|ya)\b[\s,.!:;-]*",
    re.IGNORECASE,
)
_ANAPHORA = re.compile(
    r"\b(it|its|that|this|those|these|they|them|there|one|ones|the same|he|she|him|her|his|"
    r"hers|eso|esto|ese|esa|lo|la|él|ella)\b",
    re.IGNORECASE,
)
# "did that but ...", "tried it already": the customer reports on what the bot told them.
_TRIED_IT = re.compile(
    r"\b(?:did|done|tried|followed|hice|probé|probe) "
    r"(?:that|it|this|those|them|all that|eso|esto)\b",
    re.IGNORECASE,
)
# "I already checked with the neighbours", "ya revisé la carpeta de spam": the customer reports
# a step they took about the chat's problem (until the clause ends: "but", "so", "still"); not
# "I already returned the item" or "ya recibí el reembolso", which say where things stand.
_ALREADY_DID = re.compile(
    r"(?:^|[.!?,;]\s*|\b(?:i|we)(?:'ve|\s+have)?\s+|\bive\s+)already\s+"
    r"(?:checked|tried|looked|asked|cleared|restarted|reinstalled|updated|searched|waited|"
    r"contacted|called|emailed|reset|followed|did|done)\b(?P<en>[^.?!,;]*)"
    r"|\bya\s+(?:revisé|revise|probé|probe|intenté|intente|busqué|busque|pregunté|pregunte|"
    r"esperé|espere|reinicié|reinicie|borré|borre|actualicé|actualice)\b(?P<es>[^.?!,;]*)",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"\b(?:but|so|still|pero|así que|todavía|sigue)\b", re.IGNORECASE)
# A pronoun that stands for a thing or person (not "this blender", not "one of"): said before
# the message names anything, it can only mean something earlier in the chat.
_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|he|she|him|her|eso|esto|él|ella)\b", re.IGNORECASE
)
# "is it possible", "it's been a week": an "it" that stands for nothing.
_DUMMY_IT = re.compile(
    r"\bit(?:'s| is| was| has)?\s+(?:possible|ok|okay|true|normal|safe|worth|necessary|"
    r"required|been|too late)\b|\bis it\b",
    re.IGNORECASE,
)
# A question with a pronoun and at most this many content words leans on the earlier ones.
_ANAPHORA_TERMS = 4
_CHAIN = 3  # earlier messages a follow-up is read with, at most


def opens_with_connector(question: str) -> bool:
    """The question opens like "and ...", "what about ...", "¿y ...?" (after an "ok," or
    "yeah"): it continues the last one."""
    return bool(_CONNECTOR.match(_without_acknowledgement(question)))


def _without_acknowledgement(question: str) -> str:
    """The question without an opening "ok," or "yeah" (and "¿"): what it asks."""
    text = question.strip().lstrip("¿¡").lstrip()
    return _ACKNOWLEDGES.sub("", text, count=1).lstrip("¿¡")


def needs_context(question: str) -> bool:
    """True when the question leans on earlier turns (a connector, "did that", "already checked
    ...", a pronoun, very few words), after any "ok," or "yeah": "ok, how do I reset my
    password?" asks something new."""
    asked = _without_acknowledgement(question)
    terms = content_terms(asked)
    if opens_with_connector(asked) or tried_it(asked):
        return True
    if len(terms) <= 1:
        return True
    return bool(_ANAPHORA.search(asked)) and len(terms) <= _ANAPHORA_TERMS


def did_as_told(message: str) -> bool:
    """The customer says they did what the bot told them ("did that but ...", "tried it")."""
    return bool(_TRIED_IT.search(message))


def tried_it(message: str) -> bool:
    """The customer reports on something they did ("did that but ...", "already tried ..."),
    rather than asking for it."""
    return did_as_told(message) or bool(_ALREADY_DID.search(message))


def already_done(messages: Sequence[str]) -> set[str]:
    """The content words of what the messages say the customer already did ("already checked
    with the neighbours and the mailroom": {"neighbours", "mailroom"})."""
    done: set[str] = set()
    for text in messages:
        for match in _ALREADY_DID.finditer(text):
            what = match.group("en") or match.group("es") or ""
            done.update(content_terms(_CLAUSE_END.split(what, maxsplit=1)[0]))
    return done


def refers_back(question: str) -> bool:
    """The message says "it"/"they" before it names anything ("what if it already left the
    warehouse?"), so its subject is the chat's, whatever else it names; "my order says
    delivered but it isn't here" names its own."""
    asked = _DUMMY_IT.sub(" ", _without_acknowledgement(question).replace("\u2019", "'"))
    pronoun = _PRONOUN.search(asked)
    return pronoun is not None and not content_terms(asked[: pronoun.start()])


def last_cited(earlier: Sequence[Turn]) -> Citation | None:
    """The article the bot's latest answer cited first (None when it cited none, or a person
    answered since: the bot's topic is stale then).

    A follow-up usually continues that topic, which the customer's own words may not name
    ("how long to Canada?" answered from the shipping article, then "and the cost?").
    """
    for turn in reversed(earlier):
        if turn.role is Role.BOT:
            return turn.citations[0] if turn.citations else None
        if turn.role is Role.AGENT:
            return None
    return None


def last_topic(earlier: Sequence[Turn]) -> str:
    """The `topic_of` `last_cited` ("" without one)."""
    cited = last_cited(earlier)
    return topic_of(cited) if cited is not None else ""


def topic_of(cited: Citation) -> str:
    """What a cited passage is about: its deepest section heading, else its article's title.
    A guide's title does not name the fact quoted from it: "how long do i have to return
    something" answered from "Create your account and place your first order" under "Step 7:
    After delivery", then "what about if i have plus?" read with that title found the
    suspended-Plus article, and with the heading the return policy's Plus window."""
    return heading_of(cited.section) if cited.section else cited.title


def standalone_query(
    question: str, earlier_customer_messages: Sequence[str], topic: str = ""
) -> str:
    """The question, read `with_context` when it needs context."""
    if earlier_customer_messages and needs_context(question):
        return with_context(question, earlier_customer_messages, topic)
    return question


def with_context(question: str, earlier_customer_messages: Sequence[str], topic: str = "") -> str:
    """The question prefixed with the customer's messages since their last one that stood on
    its own, and the topic of the bot's last answer: a follow-up of a follow-up keeps what the
    first one asked ("do you ship to canada", "how much does it cost?", "and how long?" is about
    Canada; "... canada take", "and to mexico?", "which one costs less?" about both)."""
    earlier = list(earlier_customer_messages)
    alone = [n for n, message in enumerate(earlier) if not needs_context(message)]
    start = max(alone[-1] if alone else len(earlier) - 1, len(earlier) - _CHAIN)
    prefix = " ".join(earlier[start:])
    if topic and not set(content_terms(topic)) <= set(content_terms(prefix)):
        prefix = f"{prefix} {topic}"
    return f"{prefix} {question}"
