"""The customer's name and order numbers, picked up from what they wrote in the chat.

Issue 17, item 5: a customer who wrote "I'm Dana" is shown as Dana, not "–". Nothing here is
checked: agents see it marked as said by the customer, apart from verified facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_NAME_WORD = r"[A-ZÀ-Ý][a-zà-ÿ'’-]+"
# "I'm"/"I am"/"soy" need a capitalised name; "my name is"/"call me" introduce one in any case.
_CAPITALISED_NAME = re.compile(
    rf"(?:\b[Ii]['’]?m|\b[Ii] am|\b[Tt]his is|\b[Ss]oy)\s+({_NAME_WORD}(?:\s+{_NAME_WORD})?)"
)
_INTRODUCED_NAME = re.compile(
    r"\b(?:my name is|my name'?s|name is|call me|me llamo|mi nombre es)\s+"
    r"([^\W\d_][\w'’-]*(?:\s+[A-ZÀ-Ý][\w'’-]*)?)",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset(
    "a an the not so very just still here there trying looking having afraid happy ok okay "
    "fine good back done unable in on at from getting going really confused frustrated angry "
    "upset sorry sure glad new writing calling contacting waiting unhappy disappointed tired "
    "english spanish customer client buyer interested asking hoping worried annoyed".split()
)
_ORDER = re.compile(
    r"\b(?:order|pedido|purchase)(?:\s+(?:number|no\.?|num\.?|n[ºo°]\.?|id))?\s*[:#]?\s*"
    r"#?([A-Z0-9][A-Z0-9-]{3,23})\b",
    re.IGNORECASE,
)
_HASH_NUMBER = re.compile(r"(?<![\w&])#(\d{4,12})\b")
_EMPHASIS = re.compile(r"[*_`~]+")  # "I'm **Dana**" names Dana


@dataclass(frozen=True, slots=True)
class CustomerSaid:
    """What the customer wrote about themselves (unverified)."""

    name: str = ""
    order_numbers: tuple[str, ...] = ()


def _name(text: str) -> str:
    for pattern in (_INTRODUCED_NAME, _CAPITALISED_NAME):
        for match in pattern.finditer(text):
            words = match.group(1).split()
            if words[0].lower() in _NOT_NAMES:
                continue
            kept = [words[0], *(w for w in words[1:2] if w.lower() not in _NOT_NAMES)]
            return " ".join(w[:1].upper() + w[1:] for w in kept)
    return ""


def _orders(text: str) -> list[str]:
    found = [m.group(1) for m in _ORDER.finditer(text)]
    found += [m.group(1) for m in _HASH_NUMBER.finditer(text)]
    return [f.upper() for f in found if any(c.isdigit() for c in f)]


def customer_said(messages: Sequence[str]) -> CustomerSaid:
    """The name the customer gave last, and every order number they wrote, in order."""
    name = ""
    orders: list[str] = []
    for message in messages:
        text = _EMPHASIS.sub("", message)
        name = _name(text) or name
        orders.extend(_orders(text))
    return CustomerSaid(name=name, order_numbers=tuple(dict.fromkeys(orders)))
