"""Emotion detector: a fine-tuned encoder's probability, plus lexical cues.

Scoring, in three steps (see `escalation/data/README.md` for how the weights were trained):

1. `probability(text)`: an `EmotionScorer` (the shipped one is all-MiniLM-L6-v2 with a
   low-rank adapter on its top layers and a linear head, fine-tuned on GoEmotions, run by
   `retrieval.backends.adapted_minilm.AdaptedMiniLM`, which the composition root supplies)
   gives the probability that the message is negatively charged (anger, annoyance,
   disappointment, disgust, fear, grief, nervousness, sadness).
2. `cues(text)`: what the text itself shows: shouting in capitals, runs of "!!!"/"???",
   stretched or repeated words, profanity, threats to leave, legal threats, distress, and the
   softeners (laughter, thanks, hedges such as "a bit", a plain question).
3. `emotion_score(text)`:
   ``sigmoid(bias + a * logit(p) + w . kept_cues + intensity_boost * intensity)``, then a
   floor. ``a``, ``w`` and ``bias`` are a logistic regression fitted on a hold-out of the
   GoEmotions train split; only the cues that measurably helped on dev are kept (their names
   are stored with the weights). Two support-chat priors are set by hand, because Reddit
   cannot teach them:
   - ``intensity`` (shouting, or runs of "!!!"/"???", in [0, 1]) adds ``intensity_boost``
     logits (stored with the weights). On Reddit "!!!" mostly means excitement; in a support
     chat it mostly means an upset customer.
   - a threat to leave, a legal threat or a distress phrase lifts the score to at least
     halfway between `threshold` and 1: Reddit comments almost never threaten a lawyer or a
     cancellation, and a support bot must hand such a message to a person whatever the tone.

A message counts as emotionally charged when `emotion_score(text) >= threshold`.

A charged message is mild (`Cues.mild`: acknowledged and answered first, the person coming only
if the answer is weak; escalation/policy.py) when it is only annoyed in words, or when it says
no feeling at all: no feeling or verdict in words ("angry", "ridiculous", "worst"), no
annoyance, nothing loud. The model reads what happened as a feeling ("the item i got is broken"
0.64, "the glass mixing bowls came smashed to pieces ... what now" 0.73), and such a customer
was handed to a person before any answer. Measured 2026-12-07 on the golden answer sets: two
answerable questions that went to a person first are now answered right (qa-004 "I lost my
phone AND the paper with the backup codes ...", qc-006 "the codes from my authenticator app keep
getting rejected ..."), and qb-013 (the bowls) gets a refusal with the damaged-items article
before the person (it names no product the help center knows); answerable questions handed over
0.227 -> 0.2162, refusal precision 0.6522 -> 0.6429. What is detected is unchanged (the gate's
escalation precision and recall read the finding, not when the person comes).
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from escalation.errors import EscalationError
from escalation.interfaces import EmotionScorer

__all__ = [
    "CUE_FEATURES",
    "FEELING_WORDS",
    "DEFAULT_WEIGHTS",
    "FORMAT_VERSION",
    "Cues",
    "EmotionModel",
    "EmotionModelError",
    "cues",
]

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "emotion.npz"
FORMAT_VERSION = 2
RETRAIN_HINT = "retrain with: python -m evals.train_emotion --out escalation/data/emotion.npz"

# Every cue feature `Cues.features()` computes, in order; the weights name the ones they use.
CUE_FEATURES: tuple[str, ...] = (
    "caps",
    "punctuation",
    "elongation",
    "profanity",
    "leave_threat",
    "legal_threat",
    "distress",
    "laughter",
    "gratitude",
    "hedge",
    "plain_question",
)


class EmotionModelError(EscalationError):
    """The emotion weights are missing, corrupt, or do not fit this code."""


# --------------------------------------------------------------------------------------------
# Lexical cues
# --------------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_PUNCT_RUN = re.compile(r"[!?¡¿]{2,}")
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")


def _phrases(*patterns: str, negatable: bool = False) -> re.Pattern[str]:
    """Any of `patterns` as a whole phrase; `negatable`: not after "not" or "no" ("not
    worried" / "no estoy preocupado" say no feeling)."""
    unless = r"(?<!\bnot )(?<!\bnot so )(?<!n't )(?<!\bno )(?<!\bno estoy )" if negatable else ""
    return re.compile(unless + r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)", re.IGNORECASE)


_PROFANITY = _phrases(
    r"f+u+c+k+\w*",
    r"f[*#@]+(?:k|ck|ing)?",
    r"wtf",
    r"stfu",
    r"(?:bull)?shit\w*",
    r"sh[*#]t",
    r"crap(?:py)?",
    r"damn(?:ed|it)?",
    r"goddamn\w*",
    r"bitch\w*",
    r"ass(?:hole)?s?",
    r"bastards?",
    r"pissed(?: off)?",
    r"what the hell",
    r"screw (?:you|this|that)",
    # Spanish
    r"mierda",
    r"carajo",
    r"joder",
    r"jodid[oa]s?",
    r"put[oa]s?",
    r"pinche",
    r"pendej[oa]s?",
    r"cabr[oó]n(?:es)?",
    r"chingad[oa]s?",
    r"chingue\w*",
    r"coño",
    r"verga",
    r"maldit[oa]s?",
)

_LEAVE_THREAT = _phrases(
    r"cancel(?:l?ing)? (?:everything|it all|all (?:of )?my (?:orders|stuff)"
    r"|every(?: single)? order)",
    r"delete everything",
    r"never again",
    r"never (?:going to |gonna |will )?(?:shop|order|buy|use|deal|come back)\w*"
    r"(?: \w+){0,4} again",
    r"(?:switch|switching|moving|going|go|leaving|taking my (?:business|money))(?: over)? to "
    r"(?:amazon|walmart|target|ebay|aliexpress|temu|shein|costco|a competitor|your competitors?"
    r"|the competition)",
    r"(?:take|taking) my (?:business|money) (?:elsewhere|somewhere else)",
    r"(?:i'?m|i am) (?:done|finished) with (?:you|your|this)\w*",
    r"(?:one|1)[- ]star reviews?",
    r"(?:tell|telling) everyone",
    r"or (?:else )?(?:i'?ll|i will|i'?m|i am) (?:going to |gonna )?"
    r"(?:cancel|close|leave|switch|report|dispute|post|take|stop)\w*",
    # Spanish
    r"nunca más",
    r"no (?:vuelvo|volveré|vuelvo a) (?:a )?comprar",
    r"cancel(?:en|o|aré|ar) todo",
    r"me (?:voy|cambio|paso) (?:a|con) "
    r"(?:amazon|mercado ?libre|walmart|la competencia|otra tienda)",
)

_LEGAL_THREAT = _phrases(
    r"lawyers?",
    r"attorneys?(?: general)?",
    r"sue",
    r"suing",
    r"lawsuit",
    r"legal action",
    r"small claims",
    r"bbb",
    r"better business bureau",
    r"consumer protection",
    r"trading standards",
    r"ftc",
    r"(?:going|go) to the press",
    r"report(?:ing)? you(?: people)? to",
    # Spanish
    r"abogad[oa]s?",
    r"demanda(?:r|ré|rles?|remos)?",
    r"denuncia(?:r|ré)?",
    r"profeco",
    r"acci[oó]n legal",
    r"acciones legales",
)

_DISTRESS = _phrases(
    r"desperate(?:ly)?",
    r"in tears",
    r"crying",
    r"cried",
    r"(?:could|gonna|going to) cry",
    r"shaking",
    r"panic(?:king|ked)?",
    r"(?:so |really |very )?stressed(?: out)?",
    r"anxious",
    r"heartbroken",
    r"devastated",
    r"wits'? end",
    r"can'?t take (?:it|this) anymore",
    r"(?:i'?m|i am) (?:so|just|absolutely|totally|completely) done",
    r"fed up",
    r"sick (?:and tired|of this)",
    r"ruin(?:ed|ing|s)?",
    r"nightmare",
    r"begging",
    r"(?:i )?can'?t afford",
    # Spanish
    r"desesperad[oa]s?",
    r"llorando",
    r"hart[oa]s?",
    r"no puedo más",
    r"angustiad[oa]s?",
)


# Annoyance said in words ("so annoying", "kinda annoyed tbh"): charged, but mildly.
_ANNOYED = _phrases(
    r"annoy\w*",
    r"frustrat\w*",
    r"irritat\w*",
    r"ugh+",
    # Spanish
    r"molest[oa]s?",
    r"fastidi\w*",
    r"qu[eé] lata",
)


# Feelings said in words, and verdicts on the company ("this is ridiculous", "worst store ever"),
# by the feeling they show: the bot's acknowledgement words them (bot/answering/empathy.py), and
# a message saying none (nor annoyance, nor anything louder) is a report that the model reads as
# charged for what happened ("smashed to pieces", "broken", "lost"): GoEmotions' Reddit
# comments rarely describe a parcel.
FEELING_WORDS: dict[str, re.Pattern[str]] = {
    "anger": _phrases(
        r"angry",
        r"furious",
        r"mad",
        r"livid",
        r"frustrat\w*",
        r"annoy\w*",
        r"ridiculous",
        r"unacceptable",
        r"outrageous",
        r"useless",
        r"terrible",
        r"awful",
        r"worst",
        r"fed up",
        r"sick (?:and tired|of)",
        r"(?:is|this is) a joke",
        r"horrible",
        r"absurd",
        r"insane",
        r"hate",
        r"garbage",
        r"trash",
        r"pathetic",
        r"incompetent",
        r"disgust\w*",
        r"rip-?off",
        r"liars?",
        r"lied",
        r"how dare",
        r"(?:are|r) (?:you|u) (?:kidding|serious)",
        r"(?:third|fourth|fifth|3rd|4th|5th) time",
        r"enfadad[oa]s?",
        r"enojad[oa]s?",
        r"furios[oa]s?",
        r"hart[oa]s?",
        r"indignante",
        r"inaceptable",
        r"rid[ií]cul[oa]",
        r"verg[uü]enza",
        r"p[eé]sim[oa]s?",
        r"peor(?:es)?",
        r"horribles?",
        r"terribles?",
        r"odio",
        r"frustrad[oa]s?",
        r"frustrante",
        r"molest[oa]s?",
        r"una broma",
        r"(?:qu[eé]|me da|me da mucha|much[ao]) rabia",
        r"(?:qu[eé] )?fastidi\w*",
        r"(?:tercera|cuarta|quinta) vez",
        negatable=True,
    ),
    "sadness": _phrases(
        r"disappoint\w*",
        r"sad",
        r"unhappy",
        r"upset",
        r"heartbroken",
        r"devastated",
        r"let down",
        r"ruin(?:ed|s)?",
        r"in tears",
        r"crying",
        r"decepcionad[oa]s?",
        r"decepci[oó]n",
        r"triste",
        r"(?:qu[eé]|una) pena",
        r"llorando",
        r"arruin\w*",
        r"desilusionad[oa]s?",
        negatable=True,
    ),
    "worry": _phrases(
        r"worr(?:y|ied|ying)",
        r"scared",
        r"afraid",
        r"terrified",
        r"nervous",
        r"anxious",
        r"panic\w*",
        r"concerned",
        r"fraud\w*",
        r"scam\w*",
        r"estafa\w*",
        r"hacked",
        r"stolen",
        r"preocup\w*",
        r"miedo",
        r"nervios[oa]s?",
        r"asustad[oa]s?",
        r"p[aá]nico",
        r"angustiad[oa]s?",
        r"fraude",
        r"me (?:han )?(?:robado|hackeado)",
        r"me robaron",
        negatable=True,
    ),
    "urgency": _phrases(
        r"urgent(?:ly)?",
        r"asap",
        r"as soon as possible",
        r"right now",
        r"immediately",
        r"emergency",
        r"urgente",
        r"me urge",
        r"cuanto antes",
        r"lo antes posible",
        r"ya mismo",
        r"inmediatamente",
        r"hoy mismo",
        r"emergencia",
        negatable=True,
    ),
}


# Softeners: signs that a message mentioning anger or annoyance is not itself charged.
_LAUGHTER = re.compile(
    r"(?<!\w)(?:lol|lmao|rofl|ha(?:ha)+|he(?:he)+|jaja(?:ja)*|xd)(?!\w)|[:;]-?[)dp](?!\w)|[😂🤣😄😅🙂😊😀😁]",
    re.IGNORECASE,
)
_GRATITUDE = _phrases(
    r"thanks?",
    r"thank you",
    r"thx",
    r"ty",
    r"appreciate(?:d| it)?",
    r"gracias",
    r"te lo agradezco",
)
_HEDGE = _phrases(
    r"a (?:bit|little)",
    r"kind of",
    r"kinda",
    r"sort of",
    r"slightly",
    r"not (?:angry|mad|upset|annoyed|complaining)",
    r"just (?:curious|wondering|asking)",
    r"no big deal",
    r"un poco",
)
_INTERROGATIVES = frozenset(
    "how what when where which who why can could do does did is are will would should may "
    "cómo como qué que cuándo cuando dónde donde cuál cual puedo pueden puede hay".split()
)


@dataclass(frozen=True, slots=True)
class Cues:
    """What the text itself shows, independent of the encoder."""

    caps_ratio: float
    caps_words: int
    repeated_punctuation: int
    elongated: int
    profanity: tuple[str, ...] = ()
    leave_threats: tuple[str, ...] = ()
    legal_threats: tuple[str, ...] = ()
    distress: tuple[str, ...] = ()
    annoyed: tuple[str, ...] = ()
    feelings: tuple[str, ...] = ()
    laughter: tuple[str, ...] = ()
    gratitude: tuple[str, ...] = ()
    hedges: tuple[str, ...] = ()
    plain_question: bool = False

    @property
    def shouting(self) -> bool:
        """Most longer words are in capitals (at least three of them)."""
        return self.caps_words >= 3 and self.caps_ratio >= 0.5

    @property
    def intensity(self) -> float:
        """How loud the message is, in [0, 1]: shouting, or runs of "!!!"/"???"."""
        return max(
            self.caps_ratio if self.shouting else 0.0, min(self.repeated_punctuation, 2) / 2.0
        )

    @property
    def strong(self) -> bool:
        """A threat to leave, a legal threat or a distress phrase: always worth a person."""
        return bool(self.leave_threats or self.legal_threats or self.distress)

    @property
    def only_annoyed(self) -> bool:
        """Annoyance said in words and nothing louder: no profanity, threat, distress,
        shouting or runs of "!!!"/"???"."""
        return bool(self.annoyed) and not self._loud

    @property
    def says_no_feeling(self) -> bool:
        """No feeling or annoyance in words, nothing louder: what the message reports is what
        reads as charged ("the glass bowls came smashed to pieces. what now")."""
        return not (self.annoyed or self.feelings or self.elongated or self._loud)

    @property
    def mild(self) -> bool:
        """Charged at most mildly, whatever the model reads: only annoyed, or no feeling said."""
        return self.only_annoyed or self.says_no_feeling

    @property
    def _loud(self) -> bool:
        return bool(self.profanity or self.strong or self.shouting or self.repeated_punctuation)

    def features(self) -> tuple[float, ...]:
        """Cue features in `CUE_FEATURES` order, each in [0, 1]."""
        return (
            self.caps_ratio if self.caps_words >= 2 else 0.0,
            min(self.repeated_punctuation, 3) / 3.0,
            min(self.elongated, 2) / 2.0,
            1.0 if self.profanity else 0.0,
            1.0 if self.leave_threats else 0.0,
            1.0 if self.legal_threats else 0.0,
            1.0 if self.distress else 0.0,
            1.0 if self.laughter else 0.0,
            1.0 if self.gratitude else 0.0,
            1.0 if self.hedges else 0.0,
            1.0 if self.plain_question else 0.0,
        )

    def describe(self) -> str:
        """The charged cues found, for ticket details and logs ("" when there are none)."""
        parts: list[str] = []
        if self.shouting:
            parts.append(f"shouting ({self.caps_ratio:.0%} capitals)")
        if self.repeated_punctuation:
            parts.append(f"{self.repeated_punctuation}x repeated !/?")
        if self.elongated:
            parts.append(f"{self.elongated}x stretched or repeated words")
        for label, found in (
            ("profanity", self.profanity),
            ("threat to leave", self.leave_threats),
            ("legal threat", self.legal_threats),
            ("distress", self.distress),
        ):
            if found:
                parts.append(f"{label}: {', '.join(found)}")
        return "; ".join(parts)


def _matches(pattern: re.Pattern[str], text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for match in pattern.finditer(text):
        seen.setdefault(match.group(0).lower(), None)
    return tuple(seen)


def cues(text: str) -> Cues:
    """Lexical cues of one message (pure, deterministic)."""
    text = text.replace("\u2019", "'")
    words = _WORD.findall(text)
    long_words = [w for w in words if len(w) >= 3]
    caps_words = sum(1 for w in long_words if w.isupper())
    caps_ratio = caps_words / len(long_words) if long_words else 0.0
    lowered = [w.lower() for w in words]
    repeated_words = sum(
        1 for prev, cur in zip(lowered, lowered[1:], strict=False) if prev == cur and len(cur) >= 2
    )
    stretched = sum(1 for w in words if _STRETCHED.search(w))
    punctuation_runs = len(_PUNCT_RUN.findall(text))
    shouting = caps_words >= 3 and caps_ratio >= 0.5
    plain_question = (
        "?" in text
        and bool(lowered)
        and lowered[0].lstrip("¿") in _INTERROGATIVES
        and punctuation_runs == 0
        and not shouting
    )
    return Cues(
        caps_ratio=caps_ratio,
        caps_words=caps_words,
        repeated_punctuation=punctuation_runs,
        elongated=repeated_words + stretched,
        profanity=_matches(_PROFANITY, text),
        leave_threats=_matches(_LEAVE_THREAT, text),
        legal_threats=_matches(_LEGAL_THREAT, text),
        distress=_matches(_DISTRESS, text),
        annoyed=_matches(_ANNOYED, text),
        feelings=tuple(f for pattern in FEELING_WORDS.values() for f in _matches(pattern, text)),
        laughter=_matches(_LAUGHTER, text),
        gratitude=_matches(_GRATITUDE, text),
        hedges=_matches(_HEDGE, text),
        plain_question=plain_question,
    )


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def _text(data: Any, key: str) -> str:
    return str(np.asarray(data[key]).item())


def _number(data: Any, key: str) -> float:
    return float(np.asarray(data[key], dtype=np.float64).item())


class EmotionModel:
    """Scores how emotionally charged a customer message is, from a scorer and the text's cues."""

    def __init__(
        self,
        scorer: EmotionScorer,
        *,
        threshold: float,
        model_threshold: float,
        cue_features: tuple[str, ...],
        combiner_weights: Any,
        combiner_bias: float,
        intensity_boost: float = 0.0,
        metadata: dict[str, str] | None = None,
    ) -> None:
        """Use `load`; direct construction is for tests and the training script."""
        unknown = [name for name in cue_features if name not in CUE_FEATURES]
        if unknown:
            raise EmotionModelError(f"unknown cue features {unknown}; {RETRAIN_HINT}")
        weights = [float(x) for x in np.asarray(combiner_weights, dtype=np.float64).reshape(-1)]
        if len(weights) != 1 + len(cue_features):
            raise EmotionModelError(
                f"combiner weights: expected {1 + len(cue_features)} values, got {len(weights)}"
            )
        for name, value in (("threshold", threshold), ("model_threshold", model_threshold)):
            if not 0.0 < value < 1.0:
                raise EmotionModelError(f"{name} must lie strictly between 0 and 1, not {value}")
        self._scorer = scorer
        self._cue_features = cue_features
        self._columns = tuple(CUE_FEATURES.index(name) for name in cue_features)
        self._combiner = weights
        self._combiner_bias = float(combiner_bias)
        self._intensity_boost = float(intensity_boost)
        self._threshold = float(threshold)
        self._model_threshold = float(model_threshold)
        self._metadata = dict(metadata or {})

    @classmethod
    def load(cls, path: Path | None = None, *, scorer: EmotionScorer) -> EmotionModel:
        """The combiner and thresholds from the weights file (default: the shipped one).

        `scorer` supplies the probabilities (normally
        `retrieval.backends.adapted_minilm.AdaptedMiniLM`, which reads the adapter from the same
        file). Raises `EmotionModelError` when the file is
        missing or corrupt.
        """
        target = path if path is not None else DEFAULT_WEIGHTS
        if not target.is_file():
            raise EmotionModelError(f"emotion weights not found at {target}; {RETRAIN_HINT}")
        try:
            with np.load(target, allow_pickle=False) as data:
                version = int(_number(data, "format_version"))
                if version != FORMAT_VERSION:
                    raise EmotionModelError(
                        f"{target}: weights format {version}, this code reads {FORMAT_VERSION}; "
                        f"{RETRAIN_HINT}"
                    )
                return cls(
                    scorer,
                    threshold=_number(data, "threshold"),
                    model_threshold=_number(data, "model_threshold"),
                    cue_features=tuple(str(x) for x in np.asarray(data["cue_features"]).tolist()),
                    combiner_weights=np.asarray(data["combiner_weights"], dtype=np.float64),
                    combiner_bias=_number(data, "combiner_bias"),
                    intensity_boost=_number(data, "intensity_boost"),
                    metadata={
                        key.removeprefix("meta_"): _text(data, key)
                        for key in data.files
                        if key.startswith("meta_") and np.asarray(data[key]).ndim == 0
                    },
                )
        except EmotionModelError:
            raise
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
            raise EmotionModelError(
                f"emotion weights at {target} are corrupt or incomplete ({exc}); {RETRAIN_HINT}"
            ) from exc

    # -- properties ------------------------------------------------------------------------

    @property
    def threshold(self) -> float:
        """`emotion_score` at or above this means emotionally charged (chosen on a hold-out)."""
        return self._threshold

    @property
    def model_threshold(self) -> float:
        """The same cut for `probability` alone (no cues)."""
        return self._model_threshold

    @property
    def cue_features(self) -> tuple[str, ...]:
        """The cues the combiner uses (those that measurably helped on GoEmotions dev)."""
        return self._cue_features

    @property
    def metadata(self) -> dict[str, str]:
        """Training facts stored with the weights (date, data sizes, figures)."""
        return dict(self._metadata)

    # -- scoring ---------------------------------------------------------------------------

    def probability(self, text: str) -> float:
        """The scorer's probability that the message is negatively charged (no cues)."""
        return self._scorer.probability(text)

    def combine(self, probability: float, found: Cues) -> float:
        """The combined score in [0, 1] from a scorer probability and the text's cues."""
        values = found.features()
        z = self._combiner_bias + self._combiner[0] * _logit(probability)
        for weight, column in zip(self._combiner[1:], self._columns, strict=True):
            z += weight * values[column]
        z += self._intensity_boost * found.intensity
        score = _sigmoid(z)
        if found.strong:
            score = max(score, self._threshold + (1.0 - self._threshold) / 2.0)
        return score

    def emotion_score(self, text: str) -> float:
        """How emotionally charged the message is, in [0, 1]; compare with `threshold`."""
        return self.combine(self.probability(text), cues(text))
