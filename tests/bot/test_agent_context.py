"""What agents said in a chat answers the customer's follow-ups (issue 16), real embedder."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answering.agent_context import (
    AgentContext,
    grants_exception,
    informative,
    reply_text,
    with_agent_turns,
)
from bot.conversations.models import Role, Turn, TurnKind
from retrieval.interfaces import Embedder

NOW = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
REFUND = (
    "I've refunded the $89 for the mixer to your card, reference RF-20931. It should reach your "
    "card by 12 March."
)
KEEP = "No need to send the mixer back, you can keep it."


def turn(n: int, role: Role, text: str, name: str = "Sam") -> Turn:
    meta = {"agent_id": "a1", "agent_name": name} if role is Role.AGENT else {}
    return Turn(n, "c1", n, role, text, NOW, meta=meta)


CHAT = [
    turn(1, Role.CUSTOMER, "My stand mixer arrived broken"),
    turn(2, Role.AGENT, "Hi, I'm Sam from the support team, let me look into this for you."),
    turn(3, Role.AGENT, REFUND),
    turn(4, Role.AGENT, KEEP),
    turn(5, Role.CUSTOMER, "great, thanks"),
]


@pytest.fixture(scope="module")
def context(embedder: Embedder) -> AgentContext:
    return AgentContext(embedder)


@pytest.mark.parametrize(
    ("question", "turn_id"),
    [
        ("what was the refund reference again?", 3),
        ("ok and what date did you say?", 3),
        ("when will the money be back on my card?", 3),
        ("do I need to print a return label for the mixer?", 4),
        ("how do I send the mixer back?", 4),
        ("do I have to return it?", 4),
    ],
)
def test_a_question_about_what_the_agent_said_is_answered_from_it(
    context: AgentContext, question: str, turn_id: int
) -> None:
    found = context.find(question, CHAT)
    assert found is not None and found.turn_id == turn_id
    assert found.turn_id == turn_id and found.agent_name == "Sam"


@pytest.mark.parametrize(
    "question",
    [
        "how long does shipping to Canada take?",
        "how do I reset my password?",
        "can I pay with PayPal?",
        "what is your return policy?",
        "when does my order ship?",
        "how much does express shipping cost?",
        "how do I return a sweater I bought?",
        "thanks",
    ],
)
def test_other_questions_go_to_the_help_center(context: AgentContext, question: str) -> None:
    assert context.find(question, CHAT) is None


def test_without_agent_turns_nothing_is_embedded(context: AgentContext) -> None:
    assert context.find("what was the reference again?", CHAT[:1]) is None
    assert context.find("what was the reference again?", []) is None


def test_an_exception_is_deferred_to_and_a_person_offered_again(context: AgentContext) -> None:
    found = context.find("do I need to print a return label for the mixer?", CHAT)
    assert found is not None and found.exception
    text = reply_text(found, "en")
    assert text.startswith(f'Earlier in this chat, our agent Sam wrote: "{KEEP}"')
    assert "Talk to a person" in text and "label" not in text


def test_a_recalled_fact_is_quoted_without_the_deference() -> None:
    from bot.answering.agent_context import AgentStatement

    plain = AgentStatement(3, "", REFUND, 0.7, exception=False)
    assert reply_text(plain, "en") == f'Earlier in this chat, our support agent wrote: "{REFUND}"'
    assert reply_text(plain, "es").startswith("Antes en este chat, nuestro agente de soporte")


@pytest.mark.parametrize(
    ("text", "granted"),
    [
        ("No need to send the mixer back.", True),
        ("You don't have to return it.", True),
        ("We'll waive the restocking fee this time.", True),
        ("I've made an exception for you.", True),
        ("I've refunded the $89.", True),
        ("Returns are accepted within 30 days.", False),
        ("Please keep the receipt.", False),
        ("You can keep the old one.", True),
        ("Let me check that order for you.", False),
    ],
)
def test_exceptions_are_recognised(text: str, granted: bool) -> None:
    assert grants_exception(text) is granted


def test_old_agent_turns_stay_in_the_prompt_history() -> None:
    chat = [turn(1, Role.AGENT, KEEP), *(turn(n, Role.CUSTOMER, f"q{n}") for n in range(2, 9))]
    kept = with_agent_turns(chat, 3)
    assert [t.id for t in kept] == [1, 6, 7, 8]
    assert with_agent_turns(chat[:2], 6) == chat[:2]


def test_a_hand_back_note_is_attributed_as_a_note(context: AgentContext) -> None:
    note = Turn(
        6,
        "c1",
        6,
        Role.AGENT,
        "Refund RF-20931 issued; it reaches the card by 12 March.",
        NOW,
        kind=TurnKind.HANDBACK_NOTE,
        meta={"agent_name": "Sam"},
    )
    found = context.find("what was my refund reference?", [*CHAT[:2], note])
    assert found is not None and found.note and found.turn_id == 6
    assert reply_text(found, "en").startswith(
        'When handing this chat back to me, our agent Sam left this note: "Refund RF-20931'
    )


def test_the_message_with_the_asked_fact_wins_over_a_note_without_it(
    context: AgentContext,
) -> None:
    note = Turn(
        6, "c1", 6, Role.AGENT, "refunded, no return needed", NOW, kind=TurnKind.HANDBACK_NOTE
    )
    found = context.find("what was my refund reference again?", [*CHAT, note])
    assert found is not None and found.turn_id == 3 and "RF-20931" in found.quote
    # Asked for no fact the message holds, the note (later, as relevant) still answers.
    found = context.find("was my refund done?", [*CHAT, note])
    assert found is not None and found.turn_id == 6


@pytest.mark.parametrize(
    ("text", "says_something"),
    [
        ("Hi Ann, I'm checking order 1234 now.", False),
        ("Let me check with the warehouse.", False),
        ("Thanks for waiting!", False),
        ("I've sent a replacement.", True),
        ("It should arrive on Friday.", True),
        ("Your refund reference is RF-20931.", True),
        (KEEP, True),
    ],
)
def test_only_messages_that_state_something_are_repeated(text: str, says_something: bool) -> None:
    assert informative(text) is says_something


def test_a_status_line_does_not_answer_a_question_about_the_order(context: AgentContext) -> None:
    status = [CHAT[0], turn(2, Role.AGENT, "Hi Ann, I'm checking order 1234 now.")]
    for question in ("where is my order?", "when will my order 1234 arrive?"):
        assert context.find(question, status) is None
