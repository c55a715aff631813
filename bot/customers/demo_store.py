"""The demo store's customer (issue 21): one verified customer with orders, for the demo page.

The demo page (`/`) signs this identity, and only this one, when `identity.demo` is on (never
in prod); the example connector serves this account data at `/demo/connector/customers/{id}`.
"""

from __future__ import annotations

from typing import Any

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
