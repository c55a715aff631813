"""The customer data connector (issue 21): the company's endpoint, asked about one verified
customer at a time for their orders, subscription and open invoices.

The data only ever answers the conversation whose verified identity it was fetched for: it
is never indexed, never logged in clear (log lines name a customer by a hash, and the
connector's URLs in httpx's request lines are redacted), and cached only per customer id for
a few seconds. A slow, failing or malformed endpoint gives a `Lookup` with a problem; the chat
goes on without the data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)
CACHE_ENTRIES = 1_000
MAX_ITEMS = 50  # orders or invoices read from one answer
_EMAIL = re.compile(r"[^@\s\"'<>]+@[^@\s\"'<>]+\.[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class Order:
    """One order as the company's system reports it."""

    number: str
    status: str
    placed_at: str = ""
    shipped_at: str = ""
    delivered_at: str = ""
    carrier: str = ""
    tracking: str = ""
    total: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Subscription:
    """The customer's subscription."""

    plan: str
    status: str
    renews_at: str = ""


@dataclass(frozen=True, slots=True)
class Invoice:
    """One invoice (the connector lists the open ones)."""

    number: str
    amount: str
    due_at: str = ""
    status: str = "open"


@dataclass(frozen=True, slots=True)
class Account:
    """What the connector returned for one customer."""

    orders: tuple[Order, ...] = ()
    subscription: Subscription | None = None
    invoices: tuple[Invoice, ...] = ()


@dataclass(frozen=True, slots=True)
class Lookup:
    """The customer's account, or the problem that kept it out of reach."""

    account: Account | None
    problem: str = ""


class Connector(Protocol):
    """Looks up one verified customer's account data."""

    async def lookup(self, user_id: str) -> Lookup:
        """The account of `user_id`; never raises (a failure is a Lookup with a problem)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def customer_ref(user_id: str) -> str:
    """How log lines name a customer: a short hash, never the id itself."""
    return "customer:" + hashlib.sha256(user_id.encode()).hexdigest()[:10]


def redact_pii(text: str) -> str:
    """`text` with email addresses masked (for log lines that may quote customer data)."""
    return _EMAIL.sub("[email]", text)


class MalformedAccount(ValueError):
    """The connector's JSON is not in the documented shape."""


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise MalformedAccount(f"{where} must be text")
    return str(value).strip()[:200]


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedAccount(f"{where} must be a list")
    return value[:MAX_ITEMS]


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise MalformedAccount(f"{where} must be an object")
    return value


def parse_account(data: Any) -> Account:
    """An Account from the connector's JSON; raises MalformedAccount naming the bad key."""
    body = _object(data, "the answer")
    orders = []
    for i, raw in enumerate(_list(body.get("orders"), "orders")):
        item = _object(raw, f"orders[{i}]")
        number = _text(item.get("id") or item.get("number"), f"orders[{i}].id")
        if not number:
            raise MalformedAccount(f"orders[{i}] has no id")
        orders.append(
            Order(
                number=number.lstrip("#"),
                status=_text(item.get("status"), f"orders[{i}].status").lower(),
                **{
                    key: _text(item.get(key), f"orders[{i}].{key}")
                    for key in ("placed_at", "shipped_at", "delivered_at", "carrier", "tracking")
                },
                total=_text(item.get("total"), f"orders[{i}].total"),
                items=tuple(
                    _text(x, f"orders[{i}].items") for x in _list(item.get("items"), "items")
                ),
            )
        )
    subscription = None
    if body.get("subscription") is not None:
        sub = _object(body["subscription"], "subscription")
        subscription = Subscription(
            plan=_text(sub.get("plan"), "subscription.plan"),
            status=_text(sub.get("status"), "subscription.status").lower(),
            renews_at=_text(sub.get("renews_at"), "subscription.renews_at"),
        )
    invoices = []
    for i, raw in enumerate(_list(body.get("invoices"), "invoices")):
        item = _object(raw, f"invoices[{i}]")
        invoices.append(
            Invoice(
                number=_text(item.get("id") or item.get("number"), f"invoices[{i}].id"),
                amount=_text(item.get("amount"), f"invoices[{i}].amount"),
                due_at=_text(item.get("due_at"), f"invoices[{i}].due_at"),
                status=_text(item.get("status") or "open", f"invoices[{i}].status").lower(),
            )
        )
    return Account(tuple(orders), subscription, tuple(invoices))


def account_json(account: Account) -> dict[str, Any]:
    """The account as JSON for the agent's context panel."""
    return {
        "orders": [
            {
                "id": o.number,
                "status": o.status,
                "placed_at": o.placed_at,
                "shipped_at": o.shipped_at,
                "delivered_at": o.delivered_at,
                "carrier": o.carrier,
                "tracking": o.tracking,
                "total": o.total,
                "items": list(o.items),
            }
            for o in account.orders
        ],
        "subscription": None
        if account.subscription is None
        else {
            "plan": account.subscription.plan,
            "status": account.subscription.status,
            "renews_at": account.subscription.renews_at,
        },
        "invoices": [
            {"id": i.number, "amount": i.amount, "due_at": i.due_at, "status": i.status}
            for i in account.invoices
        ],
    }


class _Cache:
    """A few seconds of memory per customer id (bounded): a chat's follow-ups and the agent's
    panel do not call the company's endpoint each time."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl = ttl_s
        self._entries: OrderedDict[str, tuple[float, Account]] = OrderedDict()

    def get(self, user_id: str) -> Account | None:
        entry = self._entries.get(user_id)
        if entry is None or entry[0] < time.monotonic():
            self._entries.pop(user_id, None)
            return None
        return entry[1]

    def put(self, user_id: str, account: Account) -> None:
        if self._ttl <= 0:
            return
        self._entries[user_id] = (time.monotonic() + self._ttl, account)
        self._entries.move_to_end(user_id)
        while len(self._entries) > CACHE_ENTRIES:
            self._entries.popitem(last=False)


class _RedactConnectorUrls(logging.Filter):
    """httpx logs every request URL: the connector's carry a customer id."""

    def __init__(self, template: str) -> None:
        super().__init__()
        head, _, tail = template.partition("{user_id}")
        self._pattern = re.compile(re.escape(head) + r"[^/?#\s\"]+" + re.escape(tail))
        self._shown = head + "[customer]" + tail

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._pattern.sub(self._shown, str(a)) if isinstance(a, httpx.URL | str) else a
                for a in record.args
            )
        return True


class HttpConnector:
    """The company's endpoint over HTTP (GET, bearer token, JSON answer)."""

    def __init__(self, url: str, token: str, timeout_s: float, cache_s: float) -> None:
        self._url = url if "{user_id}" in url else url.rstrip("/") + "/{user_id}"
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.AsyncClient(timeout=timeout_s, headers=headers)
        self._cache = _Cache(cache_s)
        self._filter = _RedactConnectorUrls(self._url)
        logging.getLogger("httpx").addFilter(self._filter)

    async def lookup(self, user_id: str) -> Lookup:
        """The customer's account from the endpoint (or the cache), or what went wrong."""
        cached = self._cache.get(user_id)
        if cached is not None:
            return Lookup(cached)
        who = customer_ref(user_id)
        try:
            response = await self._client.get(self._url.format(user_id=quote(user_id, safe="")))
        except httpx.TimeoutException:
            log.warning("customer data connector timed out for %s", who)
            return Lookup(None, "timeout")
        except httpx.HTTPError as exc:
            log.warning("customer data connector unreachable for %s: %s", who, type(exc).__name__)
            return Lookup(None, "unreachable")
        if response.status_code != 200:
            log.warning("customer data connector answered %d for %s", response.status_code, who)
            return Lookup(None, f"http {response.status_code}")
        try:
            account = parse_account(response.json())
        except (json.JSONDecodeError, UnicodeDecodeError, MalformedAccount) as exc:
            reason = exc if isinstance(exc, MalformedAccount) else "not JSON"
            log.warning("customer data connector sent malformed data for %s: %s", who, reason)
            return Lookup(None, "malformed")
        self._cache.put(user_id, account)
        return Lookup(account)

    async def aclose(self) -> None:
        """Close the HTTP client and stop redacting its URLs."""
        await self._client.aclose()
        logging.getLogger("httpx").removeFilter(self._filter)


class FixedConnector:
    """Account data from a fixed mapping (the demo store's, see bot/customers/demo_store.py)."""

    def __init__(self, accounts: Mapping[str, Any]) -> None:
        self._accounts = accounts

    async def lookup(self, user_id: str) -> Lookup:
        """The customer's account, or a 'not found' problem."""
        data = self._accounts.get(user_id)
        return Lookup(None, "not found") if data is None else Lookup(parse_account(data))

    async def aclose(self) -> None:
        """Nothing to release."""


def orders_named(account: Account, numbers: Sequence[str]) -> list[Order]:
    """The account's orders among `numbers` (as the customer wrote them, '#' or not)."""
    wanted = {n.lstrip("#").upper() for n in numbers}
    return [o for o in account.orders if o.number.upper() in wanted]
