"""Per-knowledge-base score calibration, fitted without labels (issue 16).

A dense cosine of 0.7 means "surely the right article" in one help center and "one of ten
near-duplicate answers" in another, so no fixed ceiling turns it into a probability. Instead,
each knowledge base quizzes itself: a sample of its articles each give a pseudo-question (the
title, else the first sentence of a question's length, else the first few words), which is
searched against every other article's stored vectors and against the source article's own
text with that question held out: a titled article's stored chunks without the title, else the
rest of its text. Whether the source article comes out on top, against the
top cosine, is what an isotonic (monotone) fit learns: the chance that the best article is a
right one, given its cosine, in this knowledge base. An exact copy of the source (another id,
the same body word for word) is no rival: it answers alike, and counting it as one would make
a help center imported twice refuse every question.

Measured on 2026-12-05 (embedded extractive stack; ECE over answered questions, 10 bins; no
judged question or label used to fit or choose anything but the confidence formula):

    answers_iqa (dev, 4,859 answers)   fitted top probability 0.33; answers right 18 %
      ECE 0.78 -> 0.16, AUC of confidence for a right answer 0.67 -> 0.81
    golden (kb_content, 60 articles)   ECE 0.15 -> 0.10; citations, refusals unchanged
    the gate's iqa_sample (552)        ECE 0.72 -> 0.24

Reproduce: `supportbot eval answers --docs <answers_iqa>/docs.jsonl --questions
<answers_iqa>/questions.jsonl --json` and `supportbot eval gate`; "before" is the same with
SUPPORTBOT_SEARCH__CALIBRATION_SAMPLE=0.

Cost: two embeddings and one vector search per pseudo-question at ingestion (59 took 5.7-20 s
on two CPU cores shared with other jobs, load 6-9: 0.1-0.3 s each, so 300 take 30-100 s);
nothing at answer time but an interpolation.

Bagged, measured 2026-12-06. One isotonic fit of 300 pseudo-questions jumps: the golden fit
was five steps, 0.25 to 0.43 within 0.03 of cosine, and on answers_iqa, where few best
articles are right, which 300 articles the sample drew decided the refusals. Quizzing 1,500 of
its articles and refitting on 30 draws of 300 (answers_iqa dev, 200 questions; "wrong" counts
answers without a gold citation, unanswerable questions answered included):

    fit (answer.refusal_confidence)   right answers       wrong answers
    one isotonic fit (0.33)           30.8, sd 9.4        61.8, sd 28.1   (our draw: 27, 42)
    bagged, 100 resamples (0.33)      33.5, sd 4.1        69.2, sd 18.7
    bagged (0.35, the default)        29.5, sd 4.7        52.1, sd 18.4   (our draw: 25, 34)

So the dev figures of the single fit were a lucky draw. Against what the single fit expects
at 0.33, the bagged one at 0.35 gives 1.3 fewer right answers, 10 fewer wrong ones, and half
the spread in right ones.
1,000 pseudo-questions would halve the spread again (sd 3.6 and 10.7) but take three times as
long at ingestion (0.03 s each on the 4,859 answers; 300 take 8 s). Golden set at 0.35: right
120 -> 119, wrong 29 -> 28, unanswerable answered 6 -> 5; its fit is now 0.26 to 0.63 over 11
knots. Reproduce: `supportbot eval gate` and `supportbot eval answers` as above; the draws
are `quiz(probes(docs, 1500), ...)` refitted on `random.sample(pairs, 300)`.

Section by section, measured 2026-12-07. The source article used to be one vector of its
whole body, which the embedder cuts at 256 tokens, against the rivals' stored chunks: the
title of a long article lost to a rival's focused section ("the pseudo-questions under-rate
titled help centers", bot/answering/confidence.py). On the golden help center the source came
out best for 28 of its 59 titles; against its own chunks, title left out, for 37 (LiveQA dev:
131 -> 139 of 300; answers_iqa's untitled answers are quizzed as before). The golden fit rose
0.30-0.71 -> 0.35-0.77, and with `answer.refusal_confidence` 0.37 -> 0.39, which keeps the
golden set's refusals where they were (right / wrong / unanswerable answered, ECE):

    one vector, 0.37 -> chunks, 0.39       golden (235)                 LiveQA dev (23)
    answers                                145 / 15 / 5 -> 146 / 15 / 6  18 / 1 -> 19 / 1
    answerable handed to a person          0.18 -> 0.17                 0.17 -> 0.13
    calibration error (answers)            0.310 -> 0.258               0.472 -> 0.468

answers_iqa dev moves with the threshold alone: 21 / 7 / 18 -> 16 / 7 / 13, refusal recall
0.82 -> 0.87, answerable handed over 0.72 -> 0.77. Reproduce: `supportbot eval gate` and
`supportbot eval answers` on the dev sets, before with this module's previous version. The
sampled titled articles' chunks are embedded once more at ingestion: refitting took 2.1 -> 4.1
CPU-seconds on the golden help center (337 chunks instead of 59 bodies), 8.3 -> 10.7 on LiveQA
dev (567 instead of 300), the same ~5 on answers_iqa (idle AMD EPYC, two cores).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from retrieval.interfaces import Embedder, VectorStore
from retrieval.types import Article, Chunk

Split = Callable[[Article], Sequence[Chunk]]

SAMPLE = 300  # pseudo-questions per knowledge base (~15 s to fit on two CPU cores)
NEIGHBOURS = 20  # stored chunks fetched per pseudo-question
MIN_PAIRS = 30  # fewer pseudo-questions say too little: confidence then uses relevance alone
BOOTSTRAPS = 100  # resampled isotonic fits averaged: one fit of 300 pairs jumps (docstring)
KNOTS = 11  # the averaged fit is read at these quantiles of the pseudo-questions' cosines
FIT = "bagged-isotonic-chunks"  # saved with the knots: a file from another fit is refitted
MIN_WORDS = 4  # a shorter first sentence is no question
MAX_WORDS = 30
WINDOW_WORDS = 12  # the pseudo-question of a text without sentence ends
HELD_OUT_CHARS = 2000  # the embedder truncates long texts anyway
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_MARKUP = re.compile(r"^\s*(#+|[-*>]|\d+\.)\s*", re.MULTILINE)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Probe:
    """A pseudo-question from an article, and the article's text without it, in pieces."""

    article_id: str
    locale: str
    question: str
    held_out: tuple[str, ...]
    copies: frozenset[str] = frozenset()  # other articles with the same body, word for word


@dataclass(frozen=True, slots=True)
class ScoreCalibration:
    """A monotone map from the best article's dense cosine to the chance that it is right.

    `knots` are (cosine, probability) pairs in increasing cosine; between knots the
    probability is interpolated linearly, beyond them it stays at the end values.
    """

    model_id: str
    knots: tuple[tuple[float, float], ...]
    samples: int

    def probability(self, cosine: float) -> float:
        """The chance that an article whose best chunk scores `cosine` is a right one."""
        return _interpolate(self.knots, cosine)

    def save(self, path: Path) -> None:
        """Write it as JSON (the folder must exist)."""
        data = {"model_id": self.model_id, "fit": FIT, "samples": self.samples, "knots": self.knots}
        path.write_text(json.dumps(data), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ScoreCalibration | None:
        """The calibration saved at `path`; None when there is none, it is unreadable or it
        was fitted another way (an older release's)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("fit") != FIT:
                return None
            knots = tuple((float(x), float(y)) for x, y in data["knots"])
            if not knots:
                return None
            return cls(str(data["model_id"]), knots, int(data["samples"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None


def probes(articles: Sequence[Article], split: Split, limit: int = SAMPLE) -> list[Probe]:
    """Up to `limit` pseudo-questions, from a fixed pseudo-random sample of the articles;
    `split` gives an article's chunks as the index stores them."""
    ordered = sorted(articles, key=lambda a: hashlib.sha256(a.id.encode()).hexdigest())
    body = {article.id: _words(article.body) for article in articles}
    same_body: dict[str, set[str]] = {}
    for article_id, words in body.items():
        if words:  # empty bodies are not copies of each other
            same_body.setdefault(words, set()).add(article_id)
    found = []
    for article in ordered:
        probe = _probe(article, split)
        if probe is not None:
            copies = same_body.get(body[article.id], set()) - {article.id}
            found.append(replace(probe, copies=frozenset(copies)))
            if len(found) == limit:
                break
    return found


def _probe(article: Article, split: Split) -> Probe | None:
    if len(article.title.split()) >= MIN_WORDS - 1:
        # Its chunks as stored, less the title: the rivals are stored chunks too, and one
        # vector of the whole body (cut at the embedder's length) loses to a rival's section.
        pieces = tuple(f"{c.section}\n{c.text}" if c.section else c.text for c in split(article))
        return Probe(article.id, article.locale, article.title, pieces) if pieces else None
    body = _MARKUP.sub("", article.body).strip()
    sentences = _SENTENCE_END.split(body)
    for n, sentence in enumerate(sentences):
        if MIN_WORDS <= len(sentence.split()) <= MAX_WORDS:
            question, rest = sentence, " ".join(sentences[:n] + sentences[n + 1 :])
            break
    else:  # no sentence of a question's length (unpunctuated text): its first words
        words = body.split()
        question, rest = " ".join(words[:WINDOW_WORDS]), " ".join(words[WINDOW_WORDS:])
    if len(rest.split()) < MIN_WORDS:
        return None
    held_out = f"{article.title}\n{rest}" if article.title else rest
    return Probe(article.id, article.locale, question, (held_out[:HELD_OUT_CHARS],))


def quiz(
    found: Sequence[Probe], embedder: Embedder, vectors: VectorStore
) -> list[tuple[float, bool]]:
    """(best cosine, whether the source article is best) for each pseudo-question, searched
    within its article's locale (as customers' questions are)."""
    if not found:
        return []
    questions = embedder.embed_documents([p.question for p in found])
    pieces = embedder.embed_documents([text for p in found for text in p.held_out])
    out = []
    start = 0
    for probe, question in zip(found, questions, strict=True):
        own = pieces[start : start + len(probe.held_out)]
        start += len(own)
        others = [
            hit.score
            for hit in vectors.nearest(question, NEIGHBOURS, {"locale": probe.locale})
            if hit.article_id != probe.article_id and hit.article_id not in probe.copies
        ]
        mine = max(_cosine(question, piece) for piece in own)
        rival = max(others, default=-1.0)
        out.append((max(mine, rival), mine >= rival))
    return out


def fit(
    model_id: str, pairs: Sequence[tuple[float, bool]], minimum: int = MIN_PAIRS
) -> ScoreCalibration | None:
    """The bagged isotonic fit of correctness on cosine: the mean of `BOOTSTRAPS` isotonic
    fits of resamples of `pairs`, read at `KNOTS` quantiles of their cosines (the same pairs
    always give the same fit). None under `minimum` pairs."""
    if not pairs or len(pairs) < minimum:
        return None
    ordered = sorted(pairs)
    n = len(ordered)
    grid = sorted({round(ordered[round(i * (n - 1) / (KNOTS - 1))][0], 4) for i in range(KNOTS)})
    draw = random.Random(0)
    totals = [0.0] * len(grid)
    for _ in range(BOOTSTRAPS):
        curve = _isotonic([ordered[draw.randrange(n)] for _ in range(n)])
        totals = [total + _interpolate(curve, x) for total, x in zip(totals, grid, strict=True)]
    knots = tuple((x, round(total / BOOTSTRAPS, 4)) for x, total in zip(grid, totals, strict=True))
    return ScoreCalibration(model_id, knots, n)


def _isotonic(pairs: Sequence[tuple[float, bool]]) -> tuple[tuple[float, float], ...]:
    """The isotonic fit (pool adjacent violators) as knots, each block's probability smoothed
    by one right and one wrong pseudo-case (never 0 or 1)."""
    blocks: list[list[float]] = []  # [sum of cosines, right answers, count]
    for cosine, right in sorted(pairs):
        blocks.append([cosine, 1.0 if right else 0.0, 1.0])
        while len(blocks) > 1 and _smoothed(blocks[-2]) >= _smoothed(blocks[-1]):
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
    return tuple((block[0] / block[2], _smoothed(block)) for block in blocks)


def _interpolate(knots: Sequence[tuple[float, float]], x: float) -> float:
    """The piecewise-linear curve through `knots` at `x`, flat beyond the end knots."""
    if x <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in zip(knots, knots[1:], strict=False):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 > x0 else y1
    return knots[-1][1]


def calibrate(
    articles: Sequence[Article],
    split: Split,
    embedder: Embedder,
    vectors: VectorStore,
    limit: int = SAMPLE,
    minimum: int = MIN_PAIRS,
) -> ScoreCalibration | None:
    """The calibration of the indexed `articles` (chunked by `split`) from up to `limit`
    pseudo-questions; None when fewer than `minimum` articles give one."""
    found = probes(articles, split, limit)
    return fit(embedder.model_id, quiz(found, embedder, vectors), minimum)


def _words(text: str) -> str:
    """The text's words, lower case, one space apart (markup and spacing aside)."""
    return " ".join(_WORD.findall(text.lower()))


def _smoothed(block: Sequence[float]) -> float:
    return (block[1] + 1) / (block[2] + 2)


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(float(x) * float(y) for x, y in zip(a, b, strict=True))
    norm = sum(float(x) ** 2 for x in a) ** 0.5 * sum(float(y) ** 2 for y in b) ** 0.5
    return dot / norm if norm else 0.0
