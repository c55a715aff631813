"""The name and order numbers picked up from what the customer wrote (issue 17, item 5)."""

from __future__ import annotations

import pytest

from bot.answering.customer_said import CustomerSaid, customer_said


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (["Hi, I'm Dana. Order #48213 arrived broken"], CustomerSaid("Dana", ("48213",))),
        (["I'm **Dana**"], CustomerSaid("Dana")),
        (["my name is dana smith, order number A-20931"], CustomerSaid("Dana Smith", ("A-20931",))),
        (["This is Tom Baker"], CustomerSaid("Tom Baker")),
        (["soy Lucía, pedido 12345"], CustomerSaid("Lucía", ("12345",))),
        (["I'm sorry, I'm Not sure", "I am really upset", "I'm trying to pay"], CustomerSaid()),
        (["my order never came", "order 12 and #99"], CustomerSaid()),  # no order number
        (
            ["I'm Dana", "Actually, my name is Dani", "order #48213", "order #48213"],
            CustomerSaid("Dani", ("48213",)),
        ),
    ],
)
def test_customer_said(messages: list[str], expected: CustomerSaid) -> None:
    assert customer_said(messages) == expected
