"""The demo store's customer (issue 21): one verified customer with orders, for the demo page.

The demo page (`/`) signs this identity, and only this one, when `identity.demo` is on (never
in prod); the example connector serves this account data at `/demo/connector/customers/{id}`.
"""

from __future__ import annotations

import time
from typing import Any

from bot.customers.identity import sign
from bot.errors import NotFound

DEMO_IDENTITY_S = 3600  # how long the demo page's signed identity is good for
DEMO_USER_ID = "demo-dana"
DEMO_IDENTITY: dict[str, Any] = {
    "user_id": DEMO_USER_ID,
    "email": "dana@demo.brightcart.example",
    "name": "Dana",
    "plan": "plus",
    "locale": "en",
}
DEMO_ACCOUNTS: dict[str, dict[str, Any]] = {
    DEMO_USER_ID: {
        "orders": [
            {
                "id": "1042",
                "status": "shipped",
                "placed_at": "2025-05-01",
                "shipped_at": "2025-05-03",
                "carrier": "UPS",
                "tracking": "1Z999AA10123456784",
                "total": "89.00 EUR",
                "items": ["Trail running shoes"],
            },
            {
                "id": "1017",
                "status": "delivered",
                "placed_at": "2025-04-02",
                "shipped_at": "2025-04-03",
                "delivered_at": "2025-04-05",
                "carrier": "DHL",
                "total": "24.50 EUR",
                "items": ["Water bottle"],
            },
        ],
        "subscription": {"plan": "Plus", "status": "active", "renews_at": "2025-06-01"},
        "invoices": [
            {"id": "INV-2025-0042", "amount": "29.00 EUR", "due_at": "2025-05-20", "status": "open"}
        ],
    }
}


def signed_demo_identity(secret: str) -> tuple[str, str]:
    """(payload, signature) of the demo customer, good for `DEMO_IDENTITY_S`: what the demo
    store's server does for its logged-in customer (nobody can ask it to sign anyone else)."""
    return sign(DEMO_IDENTITY | {"expires": int(time.time()) + DEMO_IDENTITY_S}, secret)


def demo_account(user_id: str, *, demo: bool) -> dict[str, Any]:
    """The demo customer's account data, as a company's connector endpoint returns it;
    `NotFound` for anyone else, or for everyone unless `identity.demo` is on (`demo`)."""
    account = DEMO_ACCOUNTS.get(user_id) if demo else None
    if account is None:
        raise NotFound("no such demo customer (the demo connector needs identity.demo)")
    return account
