"""Personal answers for verified customers (issue 21): their orders, subscription and invoices
from the customer data connector, cited as "your account", and a greeting by name.

Rule-based on purpose (the extractive default has no model): a question about *my* order,
subscription or invoice is recognised by a few patterns; a general question ("how do I track
an order?") is left to the help center.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from bot.answering.customer_said import customer_said
from bot.conversations.models import Citation
from bot.customers.connector import Account, Order, orders_named

Topic = Literal["order", "subscription", "invoice"]
ACCOUNT_SOURCE = "account"
"""`Citation.kind` of an answer from the customer's account (articles are "article")."""

_TOPICS: tuple[tuple[Topic, re.Pattern[str]], ...] = (
    (
        "invoice",
        re.compile(
            r"\b(my|mis?)\s+(open\s+|unpaid\s+|latest\s+|last\s+)?(invoices?|bills?|facturas?)\b|"
            r"\bdo i owe\b|\b(open|unpaid|outstanding) (invoices?|bills?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "subscription",
        re.compile(
            r"\bmy\s+(current\s+)?(subscription|plan|membership)\b|\bwhat plan am i\b|"
            r"\bmi\s+(suscripci[oó]n|plan)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "order",
        re.compile(
            r"\b(my|mis?)\s+(last\s+|latest\s+|recent\s+)?(orders?|package|parcel|delivery|"
            r"shipment|pedidos?|paquete)\b|\bwhere('?s| is)\s+order\b|\border\s*#?\d{3,}\b|"
            r"(?<![\w&])#\d{3,}\b|\bd[oó]nde est[aá] mi\b",
            re.IGNORECASE,
        ),
    ),
)

_WORDS = {
    "en": {
        "source": "Your account",
        "greeting": "Hi {name}! I'm the {company} assistant. Ask me about your orders, "
        "subscription and invoices, or anything in our help center.",
        "cannot_see": "I can't see your account details right now, so I can't check that for "
        "you; here is what our help center says.",
        "no_orders": "I can't find any orders on your account.",
        "no_subscription": "Your account has no subscription.",
        "no_invoices": "You have no open invoices.",
        "not_yours": "I can't find order #{number} on your account.",
        "shipped": "Order #{number} shipped on {date}",
        "delivered": "Order #{number} was delivered on {date}",
        "placed": "Order #{number} (placed on {date}) is {status}",
        "status": "Order #{number} is {status}",
        "via": " with {carrier}",
        "tracking": " (tracking number {tracking})",
        "subscription": "You're on the {plan} plan ({status})",
        "renews": "; it renews on {date}",
        "invoice": "Invoice {number}: {amount}, due on {date}",
        "open_invoices": "You have {count} open invoice(s):",
    },
    "es": {
        "source": "Tu cuenta",
        "greeting": "¡Hola, {name}! Soy el asistente de {company}. Pregúntame por tus "
        "pedidos, tu suscripción y tus facturas, o por cualquier tema del centro de ayuda.",
        "cannot_see": "Ahora mismo no puedo ver los datos de tu cuenta, así que no puedo "
        "comprobarlo; esto es lo que dice nuestro centro de ayuda.",
        "no_orders": "No encuentro pedidos en tu cuenta.",
        "no_subscription": "Tu cuenta no tiene suscripción.",
        "no_invoices": "No tienes facturas pendientes.",
        "not_yours": "No encuentro el pedido #{number} en tu cuenta.",
        "shipped": "El pedido #{number} se envió el {date}",
        "delivered": "El pedido #{number} se entregó el {date}",
        "placed": "El pedido #{number} (hecho el {date}) está {status}",
        "status": "El pedido #{number} está {status}",
        "via": " con {carrier}",
        "tracking": " (número de seguimiento {tracking})",
        "subscription": "Tienes el plan {plan} ({status})",
        "renews": "; se renueva el {date}",
        "invoice": "Factura {number}: {amount}, vence el {date}",
        "open_invoices": "Tienes {count} factura(s) pendiente(s):",
    },
}
_MONTHS = {
    "en": "January February March April May June July August September October November "
    "December".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre".split(),
}


def _words(locale: str) -> dict[str, str]:
    return _WORDS.get(locale, _WORDS["en"])


def account_topic(question: str) -> Topic | None:
    """What part of their own account the customer asks about, or None."""
    return next((topic for topic, pattern in _TOPICS if pattern.search(question)), None)


def greeting(name: str, locale: str, company: str) -> str:
    """The greeting by name for a verified customer."""
    return _words(locale)["greeting"].format(name=name, company=company)


def cannot_see(locale: str) -> str:
    """What the bot says when the connector failed: it answers from the help center instead."""
    return _words(locale)["cannot_see"]


def _date(value: str, locale: str) -> str:
    """'2025-05-03' as '3 May' ('3 de mayo'); anything else as given."""
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    month = _MONTHS.get(locale, _MONTHS["en"])[day.month - 1]
    return f"{day.day} de {month}" if locale == "es" else f"{day.day} {month}"


def _order_line(order: Order, locale: str) -> str:
    w = _words(locale)
    values = {"number": order.number, "status": order.status or "?"}
    if order.status == "delivered" and order.delivered_at:
        line = w["delivered"].format(**values, date=_date(order.delivered_at, locale))
    elif order.shipped_at:
        line = w["shipped"].format(**values, date=_date(order.shipped_at, locale))
    elif order.placed_at:
        line = w["placed"].format(**values, date=_date(order.placed_at, locale))
    else:
        line = w["status"].format(**values)
    if order.carrier and order.shipped_at:
        line += w["via"].format(carrier=order.carrier)
    if order.tracking and order.status != "delivered":
        line += w["tracking"].format(tracking=order.tracking)
    return line + "."


def _latest(account: Account) -> Order:
    return max(account.orders, key=lambda o: (o.placed_at, o.number))


def account_answer(topic: Topic, question: str, account: Account, locale: str) -> str:
    """The answer to `question` about the customer's own `topic`, from their account."""
    w = _words(locale)
    if topic == "order":
        if not account.orders:
            return w["no_orders"]
        asked = customer_said([question]).order_numbers
        if asked:
            found = orders_named(account, asked)
            if not found:
                return w["not_yours"].format(number=asked[0].lstrip("#"))
            return " ".join(_order_line(o, locale) for o in found)
        return _order_line(_latest(account), locale)
    if topic == "subscription":
        sub = account.subscription
        if sub is None:
            return w["no_subscription"]
        line = w["subscription"].format(plan=sub.plan, status=sub.status)
        if sub.renews_at:
            line += w["renews"].format(date=_date(sub.renews_at, locale))
        return line + "."
    open_ = [i for i in account.invoices if i.status not in ("paid", "void")]
    if not open_:
        return w["no_invoices"]
    lines = [w["open_invoices"].format(count=len(open_))]
    lines += [
        "- " + w["invoice"].format(number=i.number, amount=i.amount, date=_date(i.due_at, locale))
        for i in open_
    ]
    return "\n".join(lines)


def account_citation(answer: str, locale: str) -> Citation:
    """The source of an account answer: "your account", with no link."""
    return Citation(
        n=1,
        article_id=ACCOUNT_SOURCE,
        title=_words(locale)["source"],
        url="",
        snippet=answer[:240],
        relevance=1.0,
        kind="account",
    )
