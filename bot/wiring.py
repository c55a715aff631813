"""Builds the application's services from Settings (the composition root)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.backends.extractive_llm import ExtractiveAnswerer
from bot.generative import GenerativeAnswerer
from bot.grounding import GroundingChecker
from bot.interfaces import Answerer, ChatModel, ConversationStore
from bot.prompting import PromptBuilder
from bot.ratelimit import RateLimiter
from bot.realtime import Broadcaster, MemoryBroadcaster
from bot.responder import Responder
from bot.settings import LLMConfig, Settings
from bot.storage import open_store
from retrieval.factory import build_embedder, build_keyword_index, build_vector_store
from retrieval.interfaces import Embedder
from retrieval.knowledge_base import KnowledgeBase


def build_knowledge_base(settings: Settings, embedder: Embedder | None = None) -> KnowledgeBase:
    """The configured knowledge base (loads the embedder unless one is given)."""
    return KnowledgeBase(
        embedder or build_embedder(settings.embedding),
        build_vector_store(settings.vector, settings.index_dir),
        build_keyword_index(settings.keyword, settings.index_dir),
        settings.chunking,
        settings.search,
    )


def build_chat_model(config: LLMConfig) -> ChatModel | None:
    """The configured language model, or None for the extractive backend."""
    if config.backend == "openai-compatible":
        from bot.backends.openai_llm import OpenAIChatModel

        return OpenAIChatModel(
            base_url=config.base_url,
            api_key=config.api_key.get_secret_value(),
            model=config.model,
            timeout_s=config.timeout_s,
            max_retries=config.max_retries,
            temperature=config.temperature,
        )
    if config.backend == "local":
        from bot.backends.local_llm import LocalChatModel

        return LocalChatModel(
            config.gguf_path, context_tokens=config.context_tokens, temperature=config.temperature
        )
    return None


@dataclass(slots=True)
class Services:
    """Every long-lived component of a running supportbot."""

    settings: Settings
    kb: KnowledgeBase
    store: ConversationStore
    chat_model: ChatModel | None
    responder: Responder
    broadcaster: Broadcaster
    ip_limiter: RateLimiter
    conversation_limiter: RateLimiter

    async def aclose(self) -> None:
        """Close every backend."""
        await self.broadcaster.aclose()
        if self.chat_model is not None:
            await self.chat_model.aclose()
        await self.store.aclose()
        self.kb.close()


def build_services(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    chat_model: ChatModel | None = None,
) -> Services:
    """Wire the configured backends; `embedder`/`chat_model` override them (tests, evals)."""
    kb = build_knowledge_base(settings, embedder)
    store = open_store(settings.database_url, settings.storage.pool_size)
    model = chat_model or build_chat_model(settings.llm)
    prompts = PromptBuilder(
        settings.answer.company_name, settings.llm.context_tokens - settings.llm.max_answer_tokens
    )
    extractive = ExtractiveAnswerer(kb.embedder, prompts, settings.answer.extractive_max_words)
    answerer: Answerer = (
        extractive
        if model is None
        else GenerativeAnswerer(model, prompts, settings.llm.max_answer_tokens)
    )
    responder = Responder(
        kb=kb,
        store=store,
        answerer=answerer,
        fallback=extractive,
        checker=GroundingChecker(kb.embedder, settings.grounding),
        prompts=prompts,
        config=settings.answer,
        grounding=settings.grounding,
        rewriter=model,
    )
    return Services(
        settings=settings,
        kb=kb,
        store=store,
        chat_model=model,
        responder=responder,
        broadcaster=MemoryBroadcaster(),
        ip_limiter=RateLimiter(settings.api.rate_limit_per_ip),
        conversation_limiter=RateLimiter(settings.api.rate_limit_per_conversation),
    )
