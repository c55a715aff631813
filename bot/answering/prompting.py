"""Jinja2 prompt templates (`bot/answering/prompts/*.j2`) packed into a tiktoken-counted budget."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.answering.passages import AnswerRequest, Passage
from bot.conversations.models import Role
from retrieval.tokens import count_tokens, truncate

LANGUAGES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "it": "Italian",
}
_ROLE_NAMES = {
    Role.CUSTOMER: "Customer",
    Role.BOT: "Assistant",
    Role.AGENT: "Support agent",
    Role.SYSTEM: "System",
}
Message = dict[str, str]


def environment() -> Environment:
    """The template environment (StrictUndefined: a missing variable is an error)."""
    return Environment(
        loader=PackageLoader("bot.answering", "prompts"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class PromptBuilder:
    """Renders the prompts; the answer prompt fits `budget` tokens (history trimmed first)."""

    def __init__(self, company: str, budget: int) -> None:
        self._env = environment()
        self._company = company
        self._budget = budget

    @property
    def company(self) -> str:
        """The company's name, as answers say it."""
        return self._company

    def render(self, name: str, **context: Any) -> str:
        """One template rendered with `context`."""
        return self._env.get_template(name).render(**context).strip()

    def answer_messages(self, request: AnswerRequest) -> list[Message]:
        """System + user messages for a grounded answer.

        Passages are kept by rank and the newest history first, until the budget is spent;
        the oldest history goes first (support agents' messages last: they bind the bot),
        then the lowest-ranked passages.
        """
        system = self.render(
            "system.j2",
            company=self._company,
            language=LANGUAGES.get(request.locale, "the customer's language"),
        )
        question = truncate(request.question, self._budget // 4)
        history = [(_ROLE_NAMES[role], text) for role, text in request.history]
        passages = list(request.passages)
        while True:
            user = self.render("answer.j2", passages=passages, history=history, question=question)
            if count_tokens(system) + count_tokens(user) <= self._budget:
                break
            if history:
                history.pop(_oldest_droppable(history))
            elif len(passages) > 1:
                passages.pop()
            else:
                passages = [_shortened(passages[0], self._budget // 2)]
                history = []
                user = self.render(
                    "answer.j2", passages=passages, history=history, question=question
                )
                break
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def rewrite_messages(
        self, question: str, earlier: Sequence[str], topic: str = ""
    ) -> list[Message]:
        """A prompt asking for a standalone search query (`topic`: what the bot's last answer
        was about, bot/answering/followup.py `last_topic`)."""
        content = self.render("rewrite.j2", question=question, earlier=earlier, topic=topic)
        return [{"role": "user", "content": content}]

    def extractive(self, units: Sequence[Mapping[str, Any]]) -> str:
        """The extractive answer from selected passage units `{text, n}`."""
        return self.render("extractive_answer.j2", units=units)


def _oldest_droppable(history: Sequence[tuple[str, str]]) -> int:
    """The index of the oldest history line that is not a support agent's (else 0)."""
    agent = _ROLE_NAMES[Role.AGENT]
    return next((i for i, (role, _) in enumerate(history) if role != agent), 0)


def _shortened(passage: Passage, tokens: int) -> Passage:
    return replace(passage, parts=((passage.section, truncate(passage.text, tokens)),))
