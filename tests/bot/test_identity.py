"""Signed identities and account questions (issue 21): the pure rules."""

from __future__ import annotations

import pytest

from bot.answering.account_answers import account_answer, account_topic
from bot.customers.connector import MalformedAccount, parse_account, redact_pii
from bot.customers.identity import Check, Identity, restored, sign, verify

SECRET = "s3cret"
NOW = 1_750_000_000.0


def check(
    payload: str, signature: str, secret: str = SECRET, *, allow_no_expiry: bool = True
) -> Check:
    return verify(
        payload, signature, secret, max_age_s=3600, allow_no_expiry=allow_no_expiry, now=NOW
    )


def test_a_correct_signature_is_verified_with_every_field() -> None:
    payload, signature = sign(
        {"user_id": "u1", "email": "a@b.co", "plan": "plus", "attributes": {"tier": "gold"}},
        SECRET,
    )
    result = check(payload, signature.upper())  # hex in either case
    assert result.identity == Identity("u1", "a@b.co", plan="plus", attributes={"tier": "gold"})
    assert restored(result.stored()) == result.identity


@pytest.mark.parametrize(
    ("identity", "signed_with", "checked_with", "options", "problem"),
    [
        ({"user_id": "u1"}, "guess", SECRET, {}, "signature does not match"),
        ({"user_id": "u1"}, SECRET, "", {}, "not configured"),
        ({"email": "a@b.co"}, SECRET, SECRET, {}, "no user_id"),
        ({"user_id": "u1", "expires": NOW - 1}, SECRET, SECRET, {}, "expired"),
        ({"user_id": "u1", "expires": NOW + 7200}, SECRET, SECRET, {}, "ahead"),
        ({"user_id": "u1"}, SECRET, SECRET, {"allow_no_expiry": False}, "no expires"),
    ],
)
def test_anything_else_is_anonymous_with_the_reason(
    identity: dict[str, object],
    signed_with: str,
    checked_with: str,
    options: dict[str, bool],
    problem: str,
) -> None:
    payload, signature = sign(identity, signed_with)
    result = check(payload, signature, checked_with, **options)
    assert result.identity is None
    assert problem in result.problem
    assert restored(result.stored()) is None


def test_a_tampered_payload_fails_even_with_a_valid_signature_elsewhere() -> None:
    payload, signature = sign({"user_id": "u1", "plan": "basic"}, SECRET)
    forged, _ = sign({"user_id": "u1", "plan": "enterprise"}, SECRET)
    assert check(forged, signature).identity is None
    assert check(payload.rstrip("="), signature).identity is None  # the exact text is signed


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Where is my order?", "order"),
        ("has my parcel shipped yet", "order"),
        ("What's the status of order #1042?", "order"),
        ("¿Dónde está mi pedido?", "order"),
        ("Do I have any open invoices?", "invoice"),
        ("When does my subscription renew?", "subscription"),
        ("How do I track an order?", None),  # a general question: the help center's
        ("What is your refund policy?", None),
    ],
)
def test_account_questions(question: str, topic: str | None) -> None:
    assert account_topic(question) == topic


def test_account_answers_quote_the_account() -> None:
    account = parse_account(
        {
            "orders": [
                {
                    "id": "#1017",
                    "status": "delivered",
                    "placed_at": "2025-04-02",
                    "shipped_at": "2025-04-03",
                    "delivered_at": "2025-04-05",
                },
                {
                    "id": 1042,
                    "status": "shipped",
                    "placed_at": "2025-05-01",
                    "shipped_at": "2025-05-03",
                    "carrier": "UPS",
                    "tracking": "1Z9",
                },
            ],
            "invoices": [{"id": "INV-1", "amount": "9 EUR", "due_at": "2025-05-20"}],
        }
    )
    latest = account_answer("order", "where is my order?", account, "en")
    assert latest == "Order #1042 shipped on 3 May with UPS (tracking number 1Z9)."
    named = account_answer("order", "and order 1017?", account, "en")
    assert named == "Order #1017 was delivered on 5 April."
    assert account_answer("order", "¿y el pedido 1042?", account, "es").startswith(
        "El pedido #1042 se envió el 3 de mayo"
    )
    assert account_answer("subscription", "my plan?", account, "en") == (
        "Your account has no subscription."
    )
    assert "INV-1: 9 EUR, due on 20 May" in account_answer("invoice", "my bills", account, "en")


@pytest.mark.parametrize(
    "data", [[], {"orders": "1042"}, {"orders": [{"status": "shipped"}]}, {"subscription": 5}]
)
def test_malformed_account_data_is_refused(data: object) -> None:
    with pytest.raises(MalformedAccount):
        parse_account(data)


def test_emails_are_redacted() -> None:
    assert redact_pii("lookup for dana@demo.example failed") == "lookup for [email] failed"
