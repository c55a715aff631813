"""Yes or no for a yes/no question, read conservatively off the sentence that answers it.

Issue #16: "the right answer or an honest I don't know". A wrong "Yes" is worse than none, so
the answer is "" (no prefix) unless the sentence plainly affirms or negates what was asked.
"""

from __future__ import annotations

import re
from typing import Literal

from retrieval.stopwords import content_terms

Answer = Literal["Yes", "No", ""]

_YES_NO = re.compile(
    r"^(?:(?:hi|hey|hello|ok|okay|so|and|but|also)\W+)*"
    r"(?:can|could|do|does|did|is|are|was|were|will|would|should|may|might|has|have|am)\s+\w",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|can't|don't|doesn't|won't|isn't|aren't|wasn't|"
    r"haven't|hasn't|shouldn't|unable)\b",
    re.IGNORECASE,
)
# "Only" restricts what follows unless it only sets a condition ("only if it's defective").
_ONLY = re.compile(
    r"(?<!\bnot )\bonly\b(?!\s+(?:if|when|after|before|until|while|with|once|during|for)\b)",
    re.IGNORECASE,
)
# A condition is neither yes nor no ("If it's been under an hour, you can change it").
_HEDGE = re.compile(
    r"\b(?:if|unless|except|as long as|provided|depend\w*|may|might)\b", re.IGNORECASE
)
# Conditions in other words: an order amount ("free on orders over $25", "$35 or more") or a
# kind of customer ("for Plus members", "With Plus, ..."); a condition the question states
# itself is no hedge ("is shipping free for plus members?": "always free for Plus members").
_AMOUNT = re.compile(
    r"\b(?:over|above|under|below|at least|of)\s+(?:US|CA)?\$\s?\d|\$\d[\d.,]*\s*(?:\+|or more)",
    re.IGNORECASE,
)
_MEMBERS = re.compile(
    r"\bfor\s+(?:\w+\s+){0,2}members?\b|^\W*with\s+\w+(?:\s+\w+)?\s*,", re.IGNORECASE
)
# A leading clause of time sets a condition too: "Once an order has shipped, we can't change
# its address" is no "No." to "can i change my shipping address?".
_WHEN = re.compile(
    r"^\W*(?:(?:but|and)\s+)?(?:once|when|whenever|after|until|while)\b[^,;:]*,", re.IGNORECASE
)
# A negation said of part of a kind ("Some items can't be returned: ... opened personal-care
# items") denies only the kinds it lists ("can gift cards be returned?": no), not the whole
# kind ("can I return opened items?": most can).
_PARTIAL = re.compile(r"\b(?:some|certain|a few|few|many|most|several|a couple)\b", re.IGNORECASE)
_PREPOSITIONS = frozenset({"to", "in", "with", "for", "from", "via", "by", "on", "at"})
_PREPOSITION = rf"\b({'|'.join(sorted(_PREPOSITIONS))})\b"
_OBJECT = re.compile(_PREPOSITION + r"\s+(?:the\s+|a\s+|an\s+)?(\w+)")
# Words that put the asked place outside any list ("do you ship internationally?").
_ELSEWHERE = re.compile(r"\b(internationally|abroad|overseas|worldwide|globally)\b", re.IGNORECASE)
_LIST = re.compile(r",|\band\b|\bor\b", re.IGNORECASE)
# Words that name no particular thing: a subject made of these alone is what was asked about.
# Question words that stopwords keep when contracted ("whats", "wheres").
_ASKING = frozenset({"what", "where", "wher", "when", "why", "how", "who", "whos", "which"})
_GENERIC = frozenset({"item", "order", "product", "thing", "brightcart", "customer", "member"})


def asks_yes_no(question: str) -> bool:
    """The question is answered by yes or no ("can I ...?", "do you ...?", "is there ...?")."""
    text = question.strip()
    return bool(_YES_NO.search(text)) and not re.search(r"\bor\b", text, re.IGNORECASE)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> list[str]:
    return [_stem(t) for t in content_terms(text)]


def _same(a: str, b: str) -> bool:
    """One stem is the other or starts it ("ship" and "shipp" from "shipping")."""
    short, long = sorted((a, b), key=len)
    return short == long or (len(short) >= 4 and long.startswith(short))


def _has(stems: list[str], term: str) -> bool:
    return any(_same(term, s) for s in stems)


def _subject_is_asked(subject: str, asked: list[str]) -> bool:
    """What the negation is said of names nothing the question leaves out ("Express shipping
    is not available to Mexico" does not answer "do you ship to Mexico?"); in a list ("Gift
    cards and food cannot ...") one member that is what was asked is enough."""
    members = [m for m in _LIST.split(subject) if content_terms(m)] or [subject]
    return any(all(_has(asked, s) or s in _GENERIC for s in _stems(member)) for member in members)


def _denies_asked(subject: str, negated: str, asked: list[str]) -> bool:
    """The negation is said of what was asked: its subject names an asked word ("Gift cards
    can't be returned"), or what it negates does, up to a preposition or a stop ("You can't
    cancel an order once ...", "There are no partial refunds"). "You aren't charged for a
    cancelled order" denies a charge, not "can I cancel my order?", which got "No." before the
    sentence saying that it can be cancelled. Measured 2026-12-07: golden and answers_iqa dev
    outcomes unchanged (one golden answer's support sentence)."""
    names = any(_has(asked, s) for s in _stems(subject))
    phrase = re.split(rf"[,.;:!?]|{_PREPOSITION}", negated, maxsplit=1, flags=re.IGNORECASE)[0]
    return names or any(_has(asked, s) for s in _stems(phrase))


def _before_asked(text: str, asked: list[str]) -> str:
    """The words of `text` before its first asked word, in that word's sentence (its subject,
    roughly: "We only" of "Not at the moment. We only ship to ...")."""
    for word in re.finditer(r"\w+", text):
        if _has(asked, _stem(word.group(0).lower())):
            return re.split(r"[.!?;:]\s", text[: word.start()])[-1]
    return text


def _restricted(sentence: str, asked: list[str]) -> set[str]:
    """The prepositions whose objects the "only" of `sentence` restricts: any, when it
    restricts an asked verb ("We only ship to ..."), else the one before it ("to" of "We ship
    to the US, Canada and Mexico only", "with" of "... to PO boxes with standard shipping
    only", which restricts no place)."""
    only = _ONLY.search(sentence)
    if only is None:
        return set()
    after = re.match(r"\W*(\w+)", sentence[only.end() :])
    if after and _has(asked, _stem(after.group(1).lower())):
        return set(_PREPOSITIONS)
    before = re.findall(_PREPOSITION, sentence[: only.start()], re.IGNORECASE)
    return {before[-1].lower()} if before else set()


def same_question(question: str, faq: str) -> bool:
    """Every content word of the FAQ question `faq` is in `question` (so its bare "No." answers
    the customer's question too, which "do you ship outside ...?" does not for "... to Mexico?")."""
    asked = _stems(question)
    return bool(asked) and all(_has(asked, t) for t in _stems(faq))


def asks_the_same(question: str, other: str) -> bool:
    """The two questions have the same content words, question words aside ("whats the return
    policy" and "What is your return policy?", not "... for opened items?")."""
    a = [t for t in _stems(question) if t not in _ASKING]
    b = [t for t in _stems(other) if t not in _ASKING]
    return bool(a and b) and all(_has(a, t) for t in b) and all(_has(b, t) for t in a)


def _conditional(question: str, sentence: str) -> bool:
    """`sentence` sets a condition that `question` does not state."""
    if _HEDGE.search(sentence) or _WHEN.search(sentence):
        return True
    if _AMOUNT.search(sentence) and not re.search(r"\d", question):
        return True
    asked = _stems(question) + ["member"]
    return any(
        not all(_has(asked, t) or t in _GENERIC for t in _stems(m.group(0)))
        for m in _MEMBERS.finditer(sentence)
    )


def yes_or_no(question: str, sentence: str) -> Answer:
    """Yes or no when `sentence` plainly affirms or negates the yes/no `question`, else ""."""
    if not asks_yes_no(question) or _NEGATION.search(question) or _conditional(question, sentence):
        return ""
    asked = _stems(question)
    said = _stems(sentence)
    if not asked:
        return ""
    missing = [t for t in asked if not _has(said, t)]
    negation = _NEGATION.search(sentence)
    if negation:
        scope = _stems(sentence[negation.end() :])
        asked_in_scope = any(_has(scope, t) for t in asked)
        subject = sentence[: negation.start()]
        if _PARTIAL.search(subject):  # only a kind the sentence lists is denied
            _, colon, listed = sentence.partition(":")
            subject = listed if colon and content_terms(listed) else ""
        if (
            not missing
            and asked_in_scope
            and subject
            and _subject_is_asked(subject, asked)
            and _denies_asked(subject, sentence[negation.end() :], asked)
        ):
            return "No"
        return ""
    if _ONLY.search(sentence):
        # "We ship to the US, Canada and Mexico only" answers "do you ship to Europe?" with
        # no: the one term left out is what the question puts in the restricted place.
        # What the restriction is said of must be what was asked: "Perishable pantry items
        # ship Monday to Wednesday only" says nothing of "do you ship on sundays?".
        places = [*_OBJECT.findall(question), *(("to", w) for w in _ELSEWHERE.findall(question))]
        objects = {_stem(word.lower()): p.lower() for p, word in places}
        restricted = _restricted(sentence, asked)
        if len(missing) == 1 and objects.get(missing[0], "") in restricted and len(asked) > 1:
            return "No" if _subject_is_asked(_before_asked(sentence, asked), asked) else ""
        return ""
    return "Yes" if not missing else ""
