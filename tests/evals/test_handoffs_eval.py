"""`eval handoffs`: the dialogue set loads, notices and acknowledgements are read right, and a
small set runs end to end on the fixture KB (real embedder, SQLite)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest

from bot.answering import messages
from bot.answering.empathy import Feeling, Reading, acknowledgement
from bot.settings import Settings
from evals.errors import DatasetError
from evals.handoffs_eval import acknowledged, evaluate_handoffs, load_dialogues, notice_language
from retrieval.interfaces import Embedder
from tests.conftest import KB_FIXTURE, ROOT

DATASET = ROOT / "evals" / "datasets" / "handoff_dialogues.jsonl"


def test_the_dialogue_set_covers_what_issue_17_measures() -> None:
    dialogues = load_dialogues(DATASET)
    assert len(dialogues) >= 30
    assert {d.lang for d in dialogues} == {"en", "es"}
    assert any(d.page != d.lang for d in dialogues)  # a Spanish customer on an English page
    steps = [s for d in dialogues for s in d.steps]
    assert {s.feeling for s in steps if s.feeling} == set(Feeling)
    assert any(s.own_mistake for s in steps)
    assert {"while_waiting", "hold", "cancelled", "handoff"} <= {s.expect for s in steps}
    assert {"claim", "return", "resolve"} <= {s.agent for s in steps}
    assert {"person", "cancel"} <= {s.press for s in steps}


def test_every_notice_template_is_read_in_its_language() -> None:
    values = {"minutes": 5, "hours": "Monday 9:00–17:00", "email": "a@b.co", "name": "Ana"}
    values |= {"title": "Checkout", "text": "Card payments fail."}  # an announcement
    values |= {"channel": "chat", "date": "3 Dec"}  # an earlier conversation, by email
    for lang in ("en", "es"):
        for key in get_args(messages.Key):
            text = messages.text(key, lang, "Acme", **values, answer="It takes 2 days.")
            if text:
                assert notice_language(text) == lang, (key, lang, text)
    worried = acknowledgement(Reading(Feeling.WORRY), "es")
    notice = f"{worried} {messages.text('handoff', 'es', 'Acme', minutes=3)}"
    assert notice_language(notice) == "es"
    assert acknowledged(notice) == (Feeling.WORRY, False, "es")
    assert notice_language("Something nobody wrote.") is None


def test_a_bad_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({"id": "x", "lang": "en", "steps": [{"say": "hi", "press": "person"}]})
    )
    with pytest.raises(DatasetError, match="bad.jsonl:1 step 1: give exactly one"):
        load_dialogues(path)


def test_a_small_set_runs_end_to_end(embedder: Embedder, tmp_path: Path) -> None:
    rows = [
        {
            "id": "angry-waits-cancels",
            "lang": "en",
            "steps": [
                {
                    "say": "this is ridiculous, I want a real person NOW",
                    "feeling": "anger",
                    "expect": "handoff",
                },
                {"say": "how long is the password reset link valid?", "expect": "while_waiting"},
                {"say": "never mind, the bot solved it", "expect": "cancelled"},
            ],
        },
        {
            "id": "spanish-agent",
            "lang": "es",
            "page": "en",
            "steps": [
                {"say": "hola, quiero hablar con una persona por favor", "expect": "handoff"},
                {"agent": "claim"},
                {"say": "mi pedido 4471 llegó roto", "expect": "hold"},
                {"agent": "return"},
            ],
        },
    ]
    path = tmp_path / "dialogues.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    metrics, outcomes = evaluate_handoffs(path, Settings(data_dir=tmp_path), embedder, KB_FIXTURE)
    assert metrics["dialogues"] == 2 and metrics["customer_messages"] == 5
    for name in (
        "acknowledged_emotion",
        "notice_language",
        "answered_while_waiting",
        "no_stranded_customer",
        "expected_outcome",
    ):
        assert metrics[name] == 1.0, (name, metrics)
    spanish = outcomes[1].notices
    assert [lang for _, lang in spanish] == ["es", "es", "es"], spanish  # handoff, joined, back
