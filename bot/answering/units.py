"""Answer units of a passage: sentences in plain words, table rows and short lists as
sentences, numbered steps whole. Pointers ("See the article on ..."), headings and questions
are never units (issue #16: say the asked fact, not where to read about it). A sentence too short
to stand alone that points back ("This isn't a charge.") is read with the one before it, and
each sentence of a labelled list item keeps its label ("Small appliances: unopened ones ...").
A labelled item is a unit however short ("Phone: 1-800-555-0142."; measured 2026-12-06: "whats
your phone number, and are you guys open on the 4th of july?" now gets the number, golden
answer similarity 0.603 -> 0.605, no other golden, LiveQA or answers_iqa dev answer changed).

A unit is scored with what it is about (its headings, the line introducing its list),
without the company's name: every article of its help center is about the company, and
MiniLM reads "What Brightcart Plus costs" as far from "how much does plus cost" (cosine 0.42;
"What Plus costs" 0.78). "how much does plus cost" got "Without Plus, US standard shipping ...
costs $5.99"; now the plan prices. Measured 2026-12-07: golden outcomes unchanged; qa-012 ("how
much is plus if i live in canada?") leads with the prices, qa-011 with the price and the trial
before what Plus bundles; answer similarity 0.6232 -> 0.6229. answers_iqa and LiveQA dev
answers unchanged. Scoring a table's rows with the line introducing it too ("You can pay for
Plus monthly or yearly:") was tried and undone: it diluted "Live chat ... are available at the
same times (Eastern Time):" rows, and "what are your hours on sunday" lost the hours table to
the shipping cut-off times (golden answers unchanged either way).

A list item titled by a sentence in bold ("**The code from my authenticator app is rejected.**
Make sure the time on your phone is set automatically; ...") is read with the sentence after its
title: alone, the title answered "the codes from my authenticator app keep getting rejected" by
saying the problem back. A title that asks ("**Need to return something?**") is no unit, as a
FAQ question is not. Measured 2026-12-07: golden qc-018 ("I paused plus ... want to unpause it
early") now cites its gold article, wrong answers 0.1234 -> 0.1191 (0.1191 with every weak
answer handed over), answer similarity 0.6229 -> 0.6209 (dl-016 gets "Cancel Brightcart Plus.
If you have an active Plus membership, ..." as support where it had the 14-day grace period);
answers_iqa and LiveQA dev have no bold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.answering.grounding import split_sentences
from bot.answering.passages import Passage, carries_on
from retrieval.stopwords import ENGLISH, SPANISH, content_terms

_STEP = re.compile(r"^\s*\d+[.)]\s+")
_BULLET = re.compile(r"^\s*[-*+]\s+")
# Lines that start a block of their own; any other line carries on the one before it.
_BLOCK = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#|\||>|```)")
_ALONE = re.compile(r"^\s*(?:#|\||```)")  # a heading, a table row, a fence: never carried on
_BOLD_LINE = re.compile(r"^\*\*[^*]+\*\*$")  # a title in bold, alone on its line
_ENDS_SENTENCE = re.compile(r"[.!?:;][*_\"')\]]*$")
_OPTION = "   - "  # a step's option, nested under it as it is in the article
_EMPHASIS = re.compile(r"\*\*([^*]+)\*\*|__([^_]+)__")
_RULE = re.compile(r":?-{2,}:?")
_AMOUNT = re.compile(r"^(?:[A-Z]{0,3}\$)?\d")
_POINTER = re.compile(
    r"^(?:see|read|visit|check out|learn more|more (?:on|in|about)|for (?:more|details|the full)"
    r"|consulta|lee|visita)\b"
    r"|\b(?:see|read|visit|check) (?:our|the|this) (?:article|guide|page|section|help)"
    r"|\b(?:the|our|this) (?:article|guide) (?:on|about)\b|^(?:here's|this article|in this)\b"
    r"|^(?:here are|estas son las|estos son los|aquí tienes)\b",  # announcing what follows
    re.IGNORECASE,
)
_MIN_WORDS = 4
_LABELLED_WORDS = 2  # a list item's label and its value
_HEADING_WORDS = 2  # a heading this short ("Canada") names what a "Price: ..." bullet is about
# An item titled by a sentence in bold ("**The code from my app is rejected.** Make sure ..."):
# the title says what the next sentence is about (a symptom its fix, a rule its reason).
_TITLED = re.compile(r"^\*\*[^*]+\.\*\*\s+\S")
_LABEL = re.compile(r"^[^:,.]{1,40}:\s")  # "Mexico: import taxes ..." says what it is about
# An example illustrates the rule around it: "Example: ...", "Holiday example: ...", "## Examples".
_EXAMPLE = re.compile(
    r"^(?:[\w-]+ )?(?:examples?|ejemplos?)\b(?::|$)|^(?:for example|por ejemplo)\b", re.I
)
_YES_NO = re.compile(r"^(?:yes|no|sí)\b", re.IGNORECASE)
_OPENS_BACK = re.compile(r"^(?:these|this|those|they|them|that|it|estos|estas|esto)\b", re.I)
# A sentence this short that points back ("This isn't a charge.") is read with the one before.
_BACK_WORDS = 6
_NAME = re.compile(r"(?<=[a-z,] )[A-Z][\w'-]*")  # capitalized inside a sentence: "to Mexico"
_LOWER_WORD = re.compile(r"(?<![\w.])[a-zà-ÿ][\w'-]*")
# A bullet list whose items are this short is one unit (the items are not sentences).
_LIST_ITEM_WORDS = 8
_NOT_A_NOUN = ("what", "when", "how", "it ", "qué", "cuándo", "cómo")
_STEM = re.compile(r"(?:…|\.\.\.)$")  # a header that a cell completes: "You order on…"
_TRAILING_JOIN = re.compile(r",?\s+(?:or|and|o|y)$", re.IGNORECASE)
_JOINS = re.compile(r"(?:,|\band|\bor|\bwith|\by|\bo|\bcon)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Unit:
    """One quotable piece of passage `n`: `text` as shown, `scored` as compared."""

    text: str
    scored: str
    section: str
    n: int
    order: int
    # The FAQ question this unit answers; not scored with it, as a FAQ question is often near
    # a customer's question without being it ("do you ship outside ...?" vs "... to Mexico?").
    faq: str = ""
    option: bool = False  # one of the options a list of steps gives, a unit of its own too
    # The rows of one table, or the items of one list of labelled items (a table in words:
    # "PayPal: 3–5 business days"), share a group number (from 1); 0: neither.
    group: int = 0
    key: str = ""  # what the row or item is about: its first cell or label ("Saturday")
    example: bool = False  # from an example ("Example: if your order ..."), not the rule itself

    @property
    def steps(self) -> bool:
        """A numbered list of steps (quoted whole, on its own lines)."""
        return bool(_STEP.match(self.text))


def continued(units: Sequence[Unit], i: int) -> Unit:
    """`units[i]`, with the rest of its numbered list where a chunk boundary cut it off: the
    next steps of its passage and section, when they number on ("5. Restart your browser" after
    steps 1 to 4)."""
    unit = units[i]
    if not unit.steps:
        return unit
    after = (u for u in units[i + 1 :] if u.n == unit.n and u.steps and not u.option)
    rest = next(after, None)
    if rest is None or rest.section != unit.section or not carries_on(unit.text, rest.text):
        return unit
    return replace(unit, text=f"{unit.text}\n{rest.text}")


def _without_name(text: str, name: str) -> str:
    """`text` without `name` (and its "'s")."""
    if not name:
        return text
    return " ".join(re.sub(rf"\b{re.escape(name)}(?:['’]s)?\b", " ", text, flags=re.I).split())


def plain(text: str) -> str:
    """Text without bold markup."""
    return _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)


def opens_back(text: str) -> bool:
    """`text` opens by pointing back ("These items ...", "It ...")."""
    return bool(_OPENS_BACK.match(text))


def without_label(text: str, before: str) -> str:
    """`text` without the label it shares with the sentence `before` ("Small appliances: ..."
    twice in a row reads as a list pasted, not as an answer)."""
    label = _LABEL.match(text)
    if label is None or not before.startswith(label.group(0)):
        return text
    rest = text[label.end() :]
    return rest[:1].upper() + rest[1:]


def is_pointer(sentence: str) -> bool:
    """Only says where to read more ("See the article on ...")."""
    return bool(_POINTER.search(sentence.strip()))


def heading_of(section: str) -> str:
    """The deepest heading of a section path ("Step 3: Check out > Shipping options" -> the
    last)."""
    return section.rpartition(" > ")[2].strip()


def _lower_first(text: str, common: frozenset[str]) -> str:
    """Lowercase the first word inside a sentence when the article also writes it in lower
    case ("All customers", "Order is over", "Gift cards"), not a name ("Visa", "Monday")."""
    first = text.split(" ", 1)[0]
    key = first.lower().rstrip(",.;:")
    if first[1:].islower() and (key in common or key in ENGLISH or key in SPANISH):
        return text[:1].lower() + text[1:]
    return text


def _row_sentence(header: list[str], row: list[str], common: frozenset[str]) -> str:
    """A table row as a sentence: "Canada, Standard: 5–10 business days, CA$14.99."."""
    cells = [(h.rstrip("…. ").strip(), plain(c)) for h, c in zip(header, row, strict=False)]
    cells = [(h, c) for h, c in cells if c and c not in {"—", "-"}]
    if not cells:
        return ""
    (_, first), rest = cells[0], cells[1:]
    if not rest:
        return f"{first}."
    if len(header) == len(cells) == 2 and all(_STEM.search(h) for h in header):
        # Headers that begin a sentence ("You order on…", "It ships on…") are its words:
        # "You order on Saturday or Sunday, any time: it ships on Monday."
        (opening, cell), (closing, answer) = cells
        closing = closing[:1].lower() + closing[1:]
        return f"{opening} {_lower_first(cell, common)}: {closing} {answer}."
    if len(header) == 2:
        # "Return window for all customers: 30 days", but not "What it means for Received".
        label = rest[0][0]
        noun = len(label.split()) <= 2 and not label.lower().startswith(_NOT_A_NOUN)
        subject = f"{label} for {_lower_first(first, common)}" if label and noun else first
        return f"{subject}: {rest[0][1].rstrip('.')}."
    if len(rest) == 1:
        return f"{first}, {rest[0][1]}."
    if _AMOUNT.match(rest[0][1]):
        # Values side by side, each its column's ("Monthly: United States (USD) $9.99 per
        # month, Canada (CAD) CA$12.99 per month."), not a second key.
        return f"{first}: {', '.join(f'{h} {c}' if h else c for h, c in rest)}."
    said = [
        c if _AMOUNT.match(c) or not h else f"{h.lower()} {_lower_first(c, common)}"
        for h, c in rest[2:]
    ]
    return f"{first}, {rest[0][1]}: {', '.join([rest[1][1], *said])}."


def _table(lines: list[str], common: frozenset[str]) -> list[tuple[str, str, str]]:
    """Markdown table rows as (shown sentence, scored `Header: cell, ...`, first cell)."""
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    rows = [r for r in cells if not all(_RULE.fullmatch(c) for c in r if c)]
    if len(rows) < 2:
        return []
    header = [plain(h) for h in rows[0]]
    out = []
    for row in rows[1:]:
        shown = _row_sentence(header, row, common)
        scored = ", ".join(f"{h}: {plain(c)}" for h, c in zip(header, row, strict=False) if c)
        if shown:
            out.append((shown, scored, plain(row[0])))
    return out


def _short_list(items: list[str], lead: str, common: frozenset[str]) -> str:
    """Bullet texts too short to stand alone ("Gift cards") as one sentence under `lead`."""
    parts = [i.rstrip(".;") for i in items]
    said = ""
    for part in parts:
        if said:
            said += (" " if _JOINS.search(said) else ", ") + _lower_first(part, common)
        else:
            said = part
    return f"{lead}: {said}." if lead else f"{said}."


class _Builder:
    """Collects the units of one passage in reading order; `company`: the name that what a
    unit is about is scored without."""

    def __init__(self, passage: Passage, company: str) -> None:
        self.n = passage.n
        self.company = company
        self.common: frozenset[str] = frozenset()
        self.names: frozenset[str] = frozenset()
        self.units: list[Unit] = []
        self.groups = 0  # the number of the last group of rows or labelled items begun

    def read(self, chunk: str) -> None:
        """Take the wording hints from the chunk about to be split: a unit's text then depends
        on its own chunk only, as when ingestion prepares the units one chunk at a time (the
        answer then reads their vectors instead of encoding them)."""
        self.common = frozenset(_LOWER_WORD.findall(chunk))
        self.names = frozenset(_NAME.findall(plain(chunk)))

    def add(self, text: str, section: str, context: str = "", faq: str = "", key: str = "") -> None:
        written = text.strip()
        if not written:
            return
        text = written
        if not _STEP.match(text) and not text.endswith((".", "!", ")", "”", '"')):
            text += "."
        # Scored as written: a passage that is one unpunctuated unit is then scored with the
        # very text its chunk was indexed with, whose vector ingestion already has (issue 18).
        about = _without_name(" ".join(p for p in (section, context) if p), self.company)
        scored = f"{about}: {written}" if about else written
        group = self.groups if key else 0
        example = bool(_EXAMPLE.match(heading_of(section)))  # "## Examples"
        self.units.append(
            Unit(
                text,
                scored,
                section,
                self.n,
                len(self.units),
                faq,
                group=group,
                key=key,
                example=example,
            )
        )

    def inside(self, sentence: str) -> str:
        """`sentence` to go on after a label: its first word in lower case unless a name."""
        first = sentence.split(" ", 1)[0]
        if first[1:].islower() and first.rstrip(",.;:") not in self.names:
            return sentence[:1].lower() + sentence[1:]
        return sentence

    def generic(self, label: str) -> bool:
        """A label of common words ("Price:"), not a name ("Mexico:")."""
        words = re.findall(r"[^\W\d_]+", label)
        return bool(words) and not any(w in self.names for w in words)

    def sentences(
        self, line: str, section: str, faq: str = "", item: bool = False, titled: bool = False
    ) -> None:
        """Units of the sentences of `line`; `titled`: it opens with a title in bold, read with
        the sentence after it."""
        pieces = [plain(s) for s in split_sentences(line)]
        start = len(self.units)
        # A short FAQ answer ("No." / "Not at the moment.") keeps the sentence that explains it.
        short = len(pieces[0].split()) <= _MIN_WORDS if pieces else False
        if len(pieces) > 1 and (titled or (faq and (short or _YES_NO.match(pieces[0])))):
            pieces = [f"{pieces[0]} {pieces[1]}", *pieces[2:]]
        for i in range(len(pieces) - 1, 0, -1):
            if opens_back(pieces[i]) and len(pieces[i].split()) <= _BACK_WORDS:
                pieces[i - 1 : i + 1] = [f"{pieces[i - 1]} {pieces[i]}"]
        label = _LABEL.match(pieces[0]) if item and pieces else None
        if label:
            # A list item's label is the subject of each of its sentences: "Small appliances:
            # if opened, ... Unopened ones follow the normal return policy." (which alone read
            # as the return policy).
            pieces[1:] = [
                f"{label.group(0)}{self.inside(p)}" if len(p.split()) >= _MIN_WORDS else p
                for p in pieces[1:]
            ]
        for k, sentence in enumerate(pieces):
            # A labelled item says a fact however short: "Phone: 1-800-555-0142."
            least = _LABELLED_WORDS if label and k == 0 else _MIN_WORDS
            if (
                len(sentence.split()) >= least
                and not sentence.rstrip("*").endswith(("?", ":"))
                and "|" not in sentence
                and not sentence.startswith("#")
                and not is_pointer(sentence)
            ):
                self.add(sentence, section, faq=faq)
            faq = ""
        if pieces and _EXAMPLE.match(pieces[0]):  # every sentence of an example paragraph
            self.units[start:] = [replace(u, example=True) for u in self.units[start:]]

    def bullets(self, items: list[str], lead: str, section: str) -> None:
        titled = [bool(_TITLED.match(_BULLET.sub("", i))) for i in items]
        texts = [plain(_BULLET.sub("", i)).strip() for i in items]
        heading = heading_of(section)
        if _names_things(texts):
            self.add(_short_list(texts, lead.rstrip(":") or heading, self.common), section)
            return
        about = set(content_terms(heading))
        opening = lead.rstrip(":").strip()
        labels = [_LABEL.match(t) for t in texts]
        table = len(texts) > 1 and all(labels)  # a table in words: "PayPal: 3–5 business days"
        self.groups += table
        for text, label, title in zip(texts, labels, titled, strict=True):
            start = len(self.units)
            self._item(_TRAILING_JOIN.sub("", text), opening, heading, about, section, title)
            if table and label is not None:
                key = label.group(0).rstrip(": ")
                self.units[start:] = [
                    replace(u, group=self.groups, key=key) for u in self.units[start:]
                ]

    def _item(
        self, text: str, opening: str, heading: str, about: set[str], section: str, titled: bool
    ) -> None:
        """The units of one bullet item (`opening`: the list's lead ending in ":", `about`:
        its heading's content words, `titled`: it opens with a sentence in bold); a trailing
        "or" ("Print it at home, or") is gone."""
        if opening and text[:1].islower():
            # "Plus pays for itself if you:" and "- place more than two orders a month": one
            # sentence, not a fragment in lower case.
            text = f"{opening} {text}"
        label = _LABEL.match(text)
        if not heading or about & set(content_terms(text)):
            self.sentences(text, section, item=True, titled=titled)
        elif label and self.generic(label.group(0)) and len(heading.split()) <= _HEADING_WORDS:
            # "Price: CA$14.99" under "Canada" says which price only with its heading.
            self.sentences(f"{heading}, {self.inside(text)}", section, item=True)
        elif not label and len(text.split()) < _MIN_WORDS:
            self.add(f"For {heading}: {text.rstrip('.')}.", section)
        else:
            self.sentences(text, section, item=True, titled=titled)


def _item(line: str) -> str:
    """A bullet line's text, without the bullet and markup."""
    return plain(_BULLET.sub("", line)).strip()


def _options_of(step: str) -> bool:
    """The step line `step` introduces options, or is one ("- Email and password")."""
    return step.endswith(":") or step.startswith(_OPTION)


def _names_things(items: list[str]) -> bool:
    """A list whose items name things rather than say them ("Visa", "Gift cards"): none is
    labelled, and all are short but at most one of three or more, which ends no sentence
    ("Brightcart gift cards (also for the Plus fee)" among card names)."""
    if len(items) < 2 or any(_LABEL.match(t) for t in items):
        return False
    long = [t for t in items if len(t.split()) > _LIST_ITEM_WORDS]
    return not long or (len(long) == 1 and len(items) >= 3 and not long[0].endswith("."))


def _unwrapped(text: str) -> list[str]:
    """The lines of `text` with each sentence that an editor wrapped on one line: "someone else
    may have\naccess to your account." was quoted as "someone else may have.", and a list
    item's wrapped line is still the item. A line that ends a sentence (or an FAQ question, or
    a list's lead) or a paragraph (two trailing spaces, as the chunker joins paragraphs), a
    heading, a table row and a title in bold keep their lines."""
    out: list[str] = []
    for line in text.splitlines():
        last = out[-1].strip() if out else ""
        if (
            line.strip()
            and last
            and not out[-1].endswith("  ")  # a hard break: the chunker's paragraph end
            and not _BLOCK.match(line)
            and not _ALONE.match(last)
            and not _ENDS_SENTENCE.search(last)
            and not any(_BOLD_LINE.match(x) for x in (last, line.strip()))
        ):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line)
    return out


def _lines(text: str, common: frozenset[str]) -> list[tuple[str, str, str]]:
    """(line, scored, first cell) of a chunk, markdown tables turned into one sentence per row
    (a table row comes with its scored text and first cell; other lines with neither)."""
    out: list[tuple[str, str, str]] = []
    table: list[str] = []
    for line in [*_unwrapped(text), ""]:
        if line.lstrip().startswith("|"):
            table.append(line)
            continue
        if table:
            out.extend(_table(table, common))
            table = []
        out.append((line, "", ""))
    return out


def units_of(passage: Passage, company: str = "") -> list[Unit]:
    """Units of a passage in reading order; consecutive numbered steps form one unit, with the
    options a step lists and the bullets between two steps (which are units of their own too),
    and so does a bullet list of names rather than sentences. What a unit is about is scored
    without the `company`'s name."""
    built = _Builder(passage, company)
    for section, text in passage.parts:
        built.read(text)
        steps: list[str] = []
        options: list[str] = []  # the steps' own lists, units on their own too
        bullets: list[str] = []
        lead = ""  # a line ending in ":" introduces the list after it
        faq = ""  # the FAQ question that the next line answers
        # Bullets after a step: its own details if another step follows them ("1. Hard refresh
        # the page.", "- Windows: ...", "- Mac: ...", "2. ..."; chunks keep no indentation).
        pending: list[str] = []
        in_table = False
        for line, table_scored, key in [*_lines(text, built.common), ("", "", "")]:
            if _STEP.match(line):
                if bullets:
                    built.bullets(bullets, lead, section)
                    bullets, lead = [], ""
                steps.extend(_OPTION + _item(b) for b in pending)
                options.extend(pending)
                pending = []
                steps.append(plain(line.strip()))
                continue
            option = _item(line) if _BULLET.match(line) else ""
            if steps and option and _options_of(steps[-1]) and not _LABEL.match(option):
                steps.append(f"{_OPTION}{option}")  # "2. Choose how to sign up:", "- Email"
                options.append(line)
                continue
            if steps and option:
                pending.append(line)
                continue
            bullets += [b.strip() for b in pending]
            pending = []
            if steps:
                built.add("\n".join(steps), section, lead)
                steps, lead = [], ""
            if options:
                start = len(built.units)
                built.bullets(options, "", section)
                built.units[start:] = [replace(u, option=True) for u in built.units[start:]]
                options = []
            if _BULLET.match(line):
                bullets.append(line.strip())
                continue
            if bullets:
                built.bullets(bullets, lead, section)
                bullets, lead = [], ""
            if table_scored:
                if not in_table:
                    built.groups += 1
                in_table = True
                built.add(line, section, table_scored, key=key)
                continue
            in_table = False
            stripped = plain(line).strip()
            if stripped.endswith("?"):
                faq = stripped
                continue
            if stripped:
                lead = stripped if stripped.endswith(":") else ""
            built.sentences(line, section, faq)
            if stripped:
                faq = ""
    return built.units
