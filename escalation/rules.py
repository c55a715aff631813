"""Sensitive-topic rules loaded from YAML (editors change the file, not the code)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from escalation.errors import RulesError
from escalation.types import Priority


@dataclass(frozen=True, slots=True)
class Topic:
    """One sensitive topic: patterns, example sentences, and routine look-alikes (`unlike`):
    a message nearer to one of those than to every example is not this topic by meaning;
    `answer_first`: the help center's self-help is given while the person comes, and
    `self_help`: the question it answers when the customer's own words find nothing."""

    id: str
    priority: Priority
    patterns: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...]
    unlike: tuple[str, ...] = ()
    answer_first: bool = False
    self_help: str = ""

    def matches(self, text: str) -> bool:
        """True when a pattern matches the text."""
        return any(p.search(text) for p in self.patterns)


def default_rules_path() -> Path:
    """The rules file shipped with the package."""
    return Path(str(resources.files("escalation") / "data" / "sensitive_topics.yaml"))


def load_rules(path: Path | None = None) -> list[Topic]:
    """Topics from a YAML file; RulesError names the file and the bad entry."""
    path = path or default_rules_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path}: cannot read the rules file ({exc})") from exc
    entries = data.get("topics") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise RulesError(f"{path}: expected a 'topics:' list")
    topics = []
    for n, entry in enumerate(entries, start=1):
        where = f"{path}: topic {n}"
        if not isinstance(entry, dict) or not entry.get("id"):
            raise RulesError(f"{where}: every topic needs an 'id'")
        try:
            priority = Priority(str(entry.get("priority", "normal")))
        except ValueError as exc:
            raise RulesError(
                f"{where} ({entry['id']}): priority must be urgent, high or normal"
            ) from exc
        try:
            patterns = tuple(re.compile(p, re.IGNORECASE) for p in entry.get("patterns") or [])
        except re.error as exc:
            raise RulesError(f"{where} ({entry['id']}): bad pattern: {exc}") from exc
        examples = tuple(str(e) for e in entry.get("examples") or [])
        if not patterns and not examples:
            raise RulesError(f"{where} ({entry['id']}): give patterns or examples")
        unlike = tuple(str(e) for e in entry.get("unlike") or [])
        if unlike and not examples:
            raise RulesError(f"{where} ({entry['id']}): 'unlike' needs 'examples' to compare with")
        answer_first = entry.get("answer_first", False)
        if not isinstance(answer_first, bool):
            raise RulesError(f"{where} ({entry['id']}): answer_first must be true or false")
        self_help = entry.get("self_help", "")
        if not isinstance(self_help, str) or (self_help and not answer_first):
            raise RulesError(
                f"{where} ({entry['id']}): self_help must be a question, with answer_first: true"
            )
        topics.append(
            Topic(str(entry["id"]), priority, patterns, examples, unlike, answer_first, self_help)
        )
    return topics
