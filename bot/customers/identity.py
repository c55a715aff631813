"""Verified customers (issue 21): the host site signs who is chatting, the server checks it.

The host site's server encodes the identity as base64url JSON (`payload`) and signs that exact
text with HMAC-SHA256 and the shared secret (`signature`, hex). Signing the encoded payload
rather than a field list covers every field (plan, name, attributes) with no canonical-form
rules to get wrong in another language. An identity that is missing, unsigned, wrongly signed
or expired is anonymous: the chat goes on, agents see it as unverified, and no account data is
looked up for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VERIFIED = "verified"
UNVERIFIED = "unverified"
_FIELDS = ("user_id", "email", "name", "plan", "locale")
MAX_ATTRIBUTES = 20
MAX_VALUE_CHARS = 200


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the customer is, as the host site signed it."""

    user_id: str
    email: str = ""
    name: str = ""
    plan: str = ""
    locale: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)

    def facts(self) -> dict[str, str]:
        """What agents are shown as verified: the set fields, then the custom attributes."""
        shown = {key: getattr(self, key) for key in _FIELDS if getattr(self, key)}
        return shown | {k: v for k, v in self.attributes.items() if k not in shown}


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of checking an offered identity: verified, or why not."""

    identity: Identity | None
    problem: str = ""

    def stored(self) -> dict[str, Any]:
        """The conversation's `identity` column: the verified identity, or the refusal."""
        if self.identity is None:
            return {"status": UNVERIFIED, "problem": self.problem}
        return {"status": VERIFIED, **_fields(self.identity)}


def _fields(identity: Identity) -> dict[str, Any]:
    return {key: getattr(identity, key) for key in _FIELDS} | {
        "attributes": dict(identity.attributes)
    }


def restored(stored: Mapping[str, Any] | None) -> Identity | None:
    """The verified identity kept with a conversation, or None (anonymous or unverified)."""
    if not stored or stored.get("status") != VERIFIED:
        return None
    attributes = stored.get("attributes")
    return Identity(
        **{key: str(stored.get(key) or "") for key in _FIELDS},
        attributes=dict(attributes) if isinstance(attributes, Mapping) else {},
    )


def sign(identity: Mapping[str, Any], secret: str) -> tuple[str, str]:
    """(payload, signature) for `identity`: what the host site's server does (see the README)."""
    payload = base64.urlsafe_b64encode(json.dumps(dict(identity)).encode()).decode()
    return payload, hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _decode(payload: str) -> Any:
    padded = payload + "=" * (-len(payload) % 4)  # Node's base64url leaves the padding out
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def _text(value: Any) -> str:
    return str(value).strip()[:MAX_VALUE_CHARS] if isinstance(value, str | int) else ""


def verify(
    payload: str,
    signature: str,
    secret: str,
    *,
    max_age_s: int,
    allow_no_expiry: bool,
    now: float | None = None,
) -> Check:
    """Check a signed identity; the HMAC is compared in constant time before anything in the
    payload is trusted."""
    if not secret:
        return Check(None, "identity verification is not configured on this server")
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        return Check(None, "the signature does not match")
    try:
        data = _decode(payload)
    except (ValueError, UnicodeError, binascii.Error):
        return Check(None, "the signed payload is not base64url JSON")
    if not isinstance(data, dict) or not _text(data.get("user_id")):
        return Check(None, "the signed payload has no user_id")
    current = time.time() if now is None else now
    expires = data.get("expires")
    if expires is None and not allow_no_expiry:
        return Check(None, "the signed payload has no expires time")
    if expires is not None:
        if not isinstance(expires, int | float) or expires <= current:
            return Check(None, "the signed identity has expired")
        if expires - current > max_age_s:
            return Check(None, f"the signed identity expires more than {max_age_s} s ahead")
    attributes = data.get("attributes")
    extra = attributes if isinstance(attributes, dict) else {}
    return Check(
        Identity(
            **{key: _text(data.get(key)) for key in _FIELDS},
            attributes={
                str(k)[:64]: _text(v) for k, v in list(extra.items())[:MAX_ATTRIBUTES] if _text(v)
            },
        )
    )
