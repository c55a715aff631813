"""Help-center "Was this helpful?" votes: the counts and how a visitor is identified (no I/O).

A visitor is the random value of a cookie the help center sets on the first vote; only its
hash is stored, so the table links no vote to a person or to other votes' cookies.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

VISITOR_COOKIE = "sb_help_visitor"
_VISITOR = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


@dataclass(frozen=True, slots=True)
class VoteCount:
    """How many visitors found an article helpful, and how many did not."""

    helpful: int
    not_helpful: int

    def as_json(self) -> dict[str, int]:
        """Both counts."""
        return {"helpful": self.helpful, "not_helpful": self.not_helpful}


def visitor_token(cookie: str | None) -> tuple[str, bool]:
    """The visitor's cookie value, or a new one when it is missing or malformed (then True)."""
    if cookie and _VISITOR.match(cookie):
        return cookie, False
    return secrets.token_urlsafe(32), True


def visitor_key(token: str) -> str:
    """What the database stores for a visitor: a hash of the cookie value."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_vote(value: object) -> bool | None:
    """True for "yes", False for "no", None for anything else."""
    return {"yes": True, "no": False}.get(value) if isinstance(value, str) else None
