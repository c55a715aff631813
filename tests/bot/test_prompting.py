"""Prompt templates render strictly and the answer prompt fits its token budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from bot.answering.passages import AnswerRequest, Passage
from bot.answering.prompting import PromptBuilder, environment
from bot.conversations.models import Role
from retrieval.tokens import count_tokens


def passage(n: int, words: int) -> Passage:
    return Passage(
        n,
        f"a{n}",
        f"Title {n}",
        f"https://x/{n}",
        "Section",
        (("Section", " ".join(["policy"] * words)),),
        0.9,
        f"a{n}#0",
    )


def request(passages: list[Passage], history: int = 0) -> AnswerRequest:
    turns = [
        (Role.CUSTOMER if i % 2 == 0 else Role.BOT, f"earlier message {i} " * 20)
        for i in range(history)
    ]
    return AnswerRequest("How long is the link valid?", "q", passages, turns, "en")


def test_every_template_renders_with_a_sample_context() -> None:
    builder = PromptBuilder("Brightcart", 3000)
    messages = builder.answer_messages(request([passage(1, 10)], history=2))
    assert messages[0]["role"] == "system" and "Brightcart" in messages[0]["content"]
    assert "[1] Title 1 > Section" in messages[1]["content"]
    assert (
        "<customer_message>\nHow long is the link valid?\n</customer_message>"
        in (messages[1]["content"])
    )
    assert "earlier message 0" in messages[1]["content"]
    assert (
        "Last message: and then?" in builder.rewrite_messages("and then?", ["first"])[0]["content"]
    )
    assert builder.extractive([{"text": "It works once.", "n": 1}]) == "It works once. [1]"
    prompts = Path(__file__).parents[2] / "bot" / "answering" / "prompts"
    names = {p.name for p in prompts.glob("*.j2")}
    assert names == {"system.j2", "answer.j2", "rewrite.j2", "extractive_answer.j2", "summary.j2"}
    summary = builder.render("summary.j2", transcript=[("Customer", "hi")], reasons=["emotion"])
    assert "Customer: hi" in summary and "Escalated because: emotion" in summary


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(UndefinedError):
        environment().get_template("answer.j2").render(passages=[])


def test_budget_trims_oldest_history_then_lowest_passages() -> None:
    builder = PromptBuilder("Brightcart", 600)
    messages = builder.answer_messages(
        request([passage(1, 150), passage(2, 150), passage(3, 150)], history=6)
    )
    total = sum(count_tokens(m["content"]) for m in messages)
    assert total <= 600
    user = messages[1]["content"]
    assert "[1] Title 1" in user and "[3] Title 3" not in user
    assert "earlier message 0" not in user


def test_agent_turns_are_labelled_and_outlive_other_history() -> None:
    history = [(Role.AGENT, "No need to send the mixer back, reference RF-20931.")] + [
        (Role.CUSTOMER if i % 2 == 0 else Role.BOT, f"earlier message {i} " * 20) for i in range(6)
    ]
    builder = PromptBuilder("Brightcart", 600)
    asked = AnswerRequest("do I return it?", "q", [passage(1, 150)], history, "en")
    user = builder.answer_messages(asked)[1]["content"]
    assert "Support agent: No need to send the mixer back, reference RF-20931." in user
    assert "earlier message 0" not in user
    system = builder.answer_messages(asked)[0]["content"]
    assert "Support agent" in system and "exception" in system


def test_the_rewrite_prompt_names_the_last_answers_topic() -> None:
    builder = PromptBuilder("Brightcart", 3000)
    prompt = builder.rewrite_messages("and Spain?", ["shipping to Canada"], "Shipping options")
    assert "The assistant's last answer was about: Shipping options" in prompt[0]["content"]
    assert "last answer" not in builder.rewrite_messages("and then?", ["first"])[0]["content"]
