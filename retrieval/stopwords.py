"""Stop words dropped from keyword queries (English and Spanish, the sample KB's languages)."""

from __future__ import annotations

import re
import unicodedata

ENGLISH = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor
    not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've this those through to too under
    until up very was wasn't we we'd we'll we're we've were weren't what what's when when's
    where where's which while who who's whom why why's with won't would wouldn't you you'd
    you'll you're you've your yours yourself yourselves be im ive dont cant wont pls please hi
    hello hey thanks thank just also get got still would like want need know will shall might
    must""".split()
)
# Contractions as customers type them, without the apostrophe ("didnt", "whats"), less those
# that are words of their own ("well", "ill", "shed", "id").
CONTRACTIONS = frozenset(w.replace("'", "") for w in ENGLISH if "'" in w) - frozenset(
    "well ill hell shell shed id wed hed".split()
)

SPANISH = frozenset(
    """a al algo algunas algunos ante antes como con contra cual cuando de del desde donde
    durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estas este esto
    estos fue ha hay la las le les lo los mas me mi mis mucho muy nada ni no nos o os otra otro
    para pero poco por porque que quien se sea ser si sin sobre su sus tambien te tengo ti tu
    tus un una uno unos y ya yo hola gracias puedo puedes puede pueden podria quiero quieres
    quiere necesito necesita""".split()
)

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def without_accents(word: str) -> str:
    """`word` without its accents ("Canadá" and "Canada" are one word to a customer)."""
    if word.isascii():  # most words: nothing to strip (content_terms reads every word)
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def content_terms(text: str) -> list[str]:
    """Lowercased words of `text` without stop words, first occurrence order, no repeats (a
    Spanish stop word with or without its accents: "dónde", "donde")."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if (
            word not in ENGLISH
            and without_accents(word) not in SPANISH
            and (len(word) > 1 or word.isdigit())
        ):
            seen.setdefault(word, None)
    return list(seen)


# "How much is Plus?" asks its price in words that an article's "What Plus costs" does not use.
_ASKS_PRICE = re.compile(r"\bhow much (?:is|are|does|do|will|would|for)\b", re.IGNORECASE)
PRICE_WORDS = "cost price"


def keyword_query(text: str) -> str:
    """The text a keyword search reads: the question, plus the words an article states its
    answer in where the question asks in others ("how much is ..." -> cost, price)."""
    return f"{text} {PRICE_WORDS}" if _ASKS_PRICE.search(text) else text
