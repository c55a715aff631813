"""Incident updates from a status-page tool (issue 21), as announcements.

The tool POSTs JSON to `/api/announcements/webhook`:

    {"id": "inc-42", "status": "investigating|identified|monitoring|resolved",
     "title": "Checkout errors", "body": "Payments fail at checkout.",
     "components": ["Checkout", "Payments"]}

signed with HMAC-SHA256 over the raw body, keyed with `announcements.webhook_secret`, in the
header `X-Supportbot-Signature: sha256=<hex>`. Updates with the same `id` change one
announcement; "resolved" ends it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Literal, get_args

from bot.errors import Forbidden, InvalidInput

SIGNATURE_HEADER = "X-Supportbot-Signature"
Status = Literal["investigating", "identified", "monitoring", "resolved"]
STATUSES: tuple[Status, ...] = get_args(Status)
MAX_ID_CHARS = 200


@dataclass(frozen=True, slots=True)
class IncidentUpdate:
    """One update of one incident of the status page."""

    incident_id: str
    status: Status
    title: str
    body: str
    components: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The announcement's text: the body, then the affected components."""
        affected = f"Affected: {', '.join(self.components)}." if self.components else ""
        return "\n\n".join(part for part in (self.body.strip(), affected) if part)


def signature(secret: str, body: bytes) -> str:
    """The header value for `body`: "sha256=" and the hex HMAC-SHA256 keyed with `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> None:
    """Forbidden unless `header` is the signature of `body` (compared in constant time)."""
    if not header:
        raise Forbidden(f"sign the body: send {SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256>")
    if not hmac.compare_digest(header.strip().encode(), signature(secret, body).encode()):
        raise Forbidden(
            f"the {SIGNATURE_HEADER} header does not match the body: sign the raw body with "
            "HMAC-SHA256 and the shared secret"
        )


def parse(body: bytes) -> IncidentUpdate:
    """The update in a signed body; InvalidInput names what is missing or wrong."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"the body is not JSON: {exc}", "invalid_incident") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", "invalid_incident")
    incident_id, status = data.get("id"), data.get("status")
    if not isinstance(incident_id, str) or not 0 < len(incident_id.strip()) <= MAX_ID_CHARS:
        raise InvalidInput(
            f"id must be a string of 1-{MAX_ID_CHARS} characters", "invalid_incident"
        )
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", "invalid_incident")
    title, text = data.get("title", ""), data.get("body", "")
    components = data.get("components", [])
    if not isinstance(title, str) or not isinstance(text, str):
        raise InvalidInput("title and body must be strings", "invalid_incident")
    if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
        raise InvalidInput("components must be a list of strings", "invalid_incident")
    return IncidentUpdate(
        incident_id.strip(), status, title.strip(), text, tuple(c.strip() for c in components)
    )
