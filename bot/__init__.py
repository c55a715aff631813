"""The responder, its LLM backends, the chat API and the `supportbot` CLI."""

from __future__ import annotations

import bot.runtime.startup  # noqa: F401  (first of ours: it starts the clock /readyz reports)
from bot.answering.interfaces import Answerer
from bot.conversations.models import (
    AnswerKind,
    Channel,
    Citation,
    Conversation,
    Customer,
    Mode,
    Role,
    Turn,
    TurnKind,
)
from bot.conversations.store import ConversationStore
from bot.errors import BotError, ConfigError, Forbidden, InvalidInput, LLMError, NotFound
from bot.llm.interfaces import ChatModel
from bot.settings import Settings

__all__ = [
    "AnswerKind",
    "Answerer",
    "BotError",
    "Channel",
    "ChatModel",
    "Citation",
    "ConfigError",
    "Conversation",
    "ConversationStore",
    "Customer",
    "Forbidden",
    "InvalidInput",
    "LLMError",
    "Mode",
    "NotFound",
    "Role",
    "Settings",
    "Turn",
    "TurnKind",
]
