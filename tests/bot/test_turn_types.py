"""A turn's kind and its meta (bot answers, handoff notices, agent turns) are typed, and
read what older versions stored."""

from __future__ import annotations

from dataclasses import fields

from bot.conversations.models import (
    AgentTurnMeta,
    AnswerMeta,
    HandoffCancelledMeta,
    HandoffMeta,
    RetrievedArticle,
    TurnKind,
)

# A refusal's meta as the responder stored it before it was typed (issue 19): every key the
# responder ever wrote, with its JSON type.
OLD_ANSWER = {
    "locale": "en",
    "injection": True,
    "announcement": "a1",
    "source": "account",
    "account_topic": "orders",
    "account_problem": "the account service timed out",
    "from_agent_turn": 7,
    "agent_score": 0.81,
    "agent_exception": False,
    "query": "ship to spain",
    "top_relevance": 0.3512,
    "probability": 0.42,
    "retrieved": [
        {"article_id": "shipping", "title": "Shipping times"},
        {"article_id": "returns", "title": "Returns"},
    ],
    "coverage": 0.5,
    "signals": {"top_relevance": 0.3512, "coverage": 0.5},
    "missing": ["spain"],
    "uncovered": ["Spain"],
    "backend": "extractive",
    "error": "timed out",
    "grounded_ratio": 0,
    "fallback": "grounding",
    "dropped": ["Ships free (unsupported)"],
    "feeling": "anger",
    "while_waiting": True,
    "offered_person": True,
    "hands_over": True,
}


def test_an_old_answer_meta_parses_and_is_stored_the_same() -> None:
    meta = AnswerMeta.of(OLD_ANSWER)
    assert set(OLD_ANSWER) == {spec.name for spec in fields(AnswerMeta)}  # every field read
    assert meta.injection and meta.while_waiting and meta.offered_person and meta.hands_over
    assert meta.agent_exception is False
    assert meta.retrieved == (
        RetrievedArticle("shipping", "Shipping times"),
        RetrievedArticle("returns", "Returns"),
    )
    assert meta.uncovered == ("Spain",) and meta.signals == {
        "top_relevance": 0.3512,
        "coverage": 0.5,
    }
    assert meta.grounded_ratio == 0.0 and isinstance(meta.grounded_ratio, float)
    assert meta.as_json() == OLD_ANSWER


def test_unset_fields_are_left_out_and_unknown_keys_ignored() -> None:
    assert AnswerMeta().as_json() == {}
    assert AnswerMeta.of({"locale": "es"}).as_json() == {"locale": "es"}  # small talk
    handoff = {"ticket_id": "t1", "offline": False, "reasons": ["low_confidence"], "feeling": None}
    assert AnswerMeta.of(handoff) == AnswerMeta()
    tried = AnswerMeta.of({"retrieved": [{"title": "no id"}, "junk", {"article_id": "x"}]})
    assert tried.retrieved == (RetrievedArticle("x", ""),)
    assert AnswerMeta(retrieved=(), missing=()).as_json() == {"retrieved": [], "missing": []}


def test_turn_kinds_keep_their_stored_values() -> None:
    """The database keeps these strings (no migration): renaming a value loses old rows."""
    assert {kind.value for kind in TurnKind} == {
        "",
        "answer",
        "refusal",
        "smalltalk",
        "fallback",
        "handback_note",
        "handoff",
        "handoff_cancelled",
        "merged",
        "email_saved",
        "email_details",
        "email_unanswered",
        "nps_survey",
        "nps_not_due",
        "nps_answer",
    }
    assert max(len(kind.value) for kind in TurnKind) <= 32  # turns.kind is String(32)


# Handoff and agent turns' meta as the escalator, the lifecycle and the ticket desk stored it
# before it was typed (issue 19).
OLD_HANDOFF = {
    "ticket_id": "t1",
    "offline": True,
    "reasons": ["explicit_request", "frustration"],
    "locale": "es",
    "feeling": "anger",
}


def test_old_handoff_and_agent_metas_parse_and_are_stored_the_same() -> None:
    handoff = HandoffMeta.of(OLD_HANDOFF)
    assert handoff == HandoffMeta("t1", True, ("explicit_request", "frustration"), "es", "anger")
    assert handoff.as_json() == OLD_HANDOFF
    no_feeling = {k: v for k, v in OLD_HANDOFF.items() if k != "feeling"} | {"offline": False}
    assert HandoffMeta.of(no_feeling).as_json() == no_feeling  # `offline: false` is kept
    assert HandoffCancelledMeta.of({"ticket_id": "t1"}).as_json() == {"ticket_id": "t1"}
    agent = {"agent_id": "ana", "agent_name": "Ana"}
    assert AgentTurnMeta.of(agent) == AgentTurnMeta("ana", "Ana")
    assert AgentTurnMeta.of(agent).as_json() == agent


def test_missing_handoff_and_agent_keys_read_as_empty() -> None:
    """Turns stored with less (or none) of their meta, e.g. by tests or an earlier version."""
    assert HandoffMeta.of({}) == HandoffMeta()
    assert HandoffMeta.of({"locale": None, "feeling": None}).locale == ""
    assert AgentTurnMeta.of({"agent_name": "Sam"}) == AgentTurnMeta("", "Sam")
    assert AgentTurnMeta.of({}).agent_name == ""
