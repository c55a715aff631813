"""Builds the application's services from Settings (the composition root)."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.answering.agent_context import AgentContext
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.generative import GenerativeAnswerer
from bot.answering.grounding import GroundingChecker
from bot.answering.interfaces import Answerer
from bot.answering.prompting import PromptBuilder
from bot.answering.responder import Responder
from bot.conversations.replies import ReplyService
from bot.conversations.service import ConversationService
from bot.conversations.store import ConversationStore
from bot.customers.connector import Connector, FixedConnector, HttpConnector
from bot.customers.demo_store import DEMO_ACCOUNTS
from bot.db.database import Database, open_database
from bot.errors import ConfigError
from bot.handoff.escalator import Escalator, meaning_detectors
from bot.handoff.staff import Staff
from bot.handoff.ticket_desk import TicketDesk
from bot.handoff.ticket_view import TicketView
from bot.handoff.webhooks import WebhookSender
from bot.helpcenter.announcements import Announcements
from bot.helpcenter.editor import EditorService
from bot.helpcenter.gaps import ContentGaps
from bot.helpcenter.help_portal import HelpPortal
from bot.helpcenter.page_help import PageHelp
from bot.helpcenter.preview import TryIt
from bot.helpcenter.review import ContentReview
from bot.llm.guarded import guarded
from bot.llm.interfaces import ChatModel
from bot.reporting.reports import Reports
from bot.reporting.resolution import Rules
from bot.runtime.ratelimit import (
    Backoff,
    FailureLimiter,
    FallbackFailureLimiter,
    FallbackRateLimiter,
    MemoryFailureLimiter,
    MemoryRateLimiter,
    RateLimiter,
)
from bot.runtime.realtime import Broadcaster
from bot.runtime.staff_login import StaffLogin
from bot.settings import LLMConfig, Settings
from escalation.availability import parse_hours
from escalation.config import EscalationConfig
from escalation.detectors import MeaningDetectors
from escalation.emotion import DEFAULT_WEIGHTS as EMOTION_WEIGHTS
from escalation.emotion import RETRAIN_HINT as EMOTION_RETRAIN_HINT
from escalation.emotion import EmotionModel
from escalation.interfaces import AgentStore
from escalation.rules import load_rules
from retrieval.backends.adapted_minilm import AdaptedMiniLM
from retrieval.backends.sqlite_vector_cache import SqliteVectorCache
from retrieval.backends.st_embedder import bundled_model_dir
from retrieval.cached_embedder import CachedEmbedder
from retrieval.factory import (
    build_embedder,
    build_keyword_index,
    build_vector_store,
    onnx_models_dir,
)
from retrieval.interfaces import Embedder
from retrieval.knowledge_base import KnowledgeBase

VECTOR_CACHE_FILE = "answer_vectors.sqlite"  # passage sentences' vectors (issue 18)
CALIBRATION_FILE = "calibration.json"  # the knowledge base's score calibration (issue 16)


def build_knowledge_base(
    settings: Settings, embedder: Embedder | None = None, variant: str = ""
) -> KnowledgeBase:
    """The configured knowledge base (loads the embedder unless one is given); a `variant`
    ("preview") is a separate one beside it."""
    return KnowledgeBase(
        embedder
        or CachedEmbedder(
            build_embedder(settings.embedding, settings.data_dir),
            persistent=SqliteVectorCache(settings.index_dir / VECTOR_CACHE_FILE),
        ),
        build_vector_store(settings.vector, settings.index_dir, variant),
        build_keyword_index(
            settings.keyword, settings.index_dir, variant, url=settings.database_url
        ),
        settings.chunking,
        settings.search,
        settings.index_dir / (f"calibration_{variant}.json" if variant else CALIBRATION_FILE),
    )


def build_chat_model(config: LLMConfig) -> ChatModel | None:
    """The configured language model, or None for the extractive backend."""
    if config.backend == "openai-compatible":
        from bot.llm.backends.openai_compatible import OpenAIChatModel

        return OpenAIChatModel(
            base_url=config.base_url,
            api_key=config.api_key.get_secret_value(),
            model=config.model,
            timeout_s=config.timeout_s,
            max_retries=config.max_retries,
            temperature=config.temperature,
        )
    if config.backend == "local":
        from bot.llm.backends.local import LocalChatModel

        return LocalChatModel(
            config.gguf_path, context_tokens=config.context_tokens, temperature=config.temperature
        )
    return None


def build_broadcaster(settings: Settings) -> Broadcaster:
    """The configured live-event broadcaster (Redis pub/sub to share it across workers)."""
    if settings.realtime.backend == "redis":
        try:
            from bot.runtime.backends.redis_broadcaster import RedisBroadcaster
        except ImportError as exc:
            raise _missing_redis("realtime.backend") from exc
        return RedisBroadcaster(settings.redis.url)
    from bot.runtime.backends.memory_broadcaster import MemoryBroadcaster

    return MemoryBroadcaster()


def build_rate_limiter(settings: Settings, name: str, per_minute: int) -> RateLimiter:
    """The configured rate limiter `name` allowing `per_minute` hits per key (a shared one
    falls back to this worker's counts while Redis is unreachable)."""
    if settings.api.rate_limit_backend == "redis":
        try:
            from bot.runtime.backends.redis_ratelimit import RedisRateLimiter
        except ImportError as exc:
            raise _missing_redis("api.rate_limit_backend") from exc
        return FallbackRateLimiter(
            RedisRateLimiter(settings.redis.url, name=name, limit=per_minute),
            MemoryRateLimiter(per_minute),
        )
    return MemoryRateLimiter(per_minute)


def build_failure_limiter(settings: Settings, name: str, backoff: Backoff) -> FailureLimiter:
    """The configured lockout counter `name` (shared in Redis like the rate limits, falling
    back to this worker's counts while Redis is unreachable)."""
    if settings.api.rate_limit_backend == "redis":
        try:
            from bot.runtime.backends.redis_ratelimit import RedisFailureLimiter
        except ImportError as exc:
            raise _missing_redis("api.rate_limit_backend") from exc
        return FallbackFailureLimiter(
            RedisFailureLimiter(settings.redis.url, name=name, backoff=backoff),
            MemoryFailureLimiter(backoff),
        )
    return MemoryFailureLimiter(backoff)


def build_staff_login(settings: Settings, agents: AgentStore) -> StaffLogin:
    """Staff login with the configured per-account and per-IP lockouts."""
    config = settings.login

    def backoff(limit: int) -> Backoff:
        return Backoff(limit, config.lockout_s, config.max_lockout_s, config.forget_after_s)

    return StaffLogin(
        agents,
        accounts=build_failure_limiter(
            settings, "login-account", backoff(config.max_failures_per_account)
        ),
        addresses=build_failure_limiter(settings, "login-ip", backoff(config.max_failures_per_ip)),
    )


def _missing_redis(setting: str) -> ConfigError:
    return ConfigError(f"{setting} redis needs the redis client: pip install 'supportbot[redis]'")


@dataclass(slots=True)
class Services:
    """Every long-lived component of a running supportbot."""

    settings: Settings
    kb: KnowledgeBase
    store: ConversationStore
    database: Database
    chat_model: ChatModel | None
    responder: Responder
    broadcaster: Broadcaster
    escalator: Escalator
    desk: TicketDesk
    tickets: TicketView
    staff: Staff
    ip_limiter: RateLimiter
    conversation_limiter: RateLimiter
    staff_login: StaffLogin
    editor: EditorService
    try_it: TryIt
    help_portal: HelpPortal
    review: ContentReview
    reports: Reports
    announcements: Announcements
    page_help: PageHelp
    replies: ReplyService
    conversations: ConversationService
    connector: Connector | None = None
    identity_secret: str = ""  # signs verified customers (bot/customers/identity.py)

    async def aclose(self) -> None:
        """Close every backend."""
        await self.editor.aclose()
        if self.connector is not None:
            await self.connector.aclose()
        self.try_it.close()
        await self.escalator.webhooks.drain()
        await self.broadcaster.aclose()
        await self.ip_limiter.aclose()
        await self.conversation_limiter.aclose()
        await self.staff_login.aclose()
        if self.chat_model is not None:
            await self.chat_model.aclose()
        await self.store.aclose()
        self.kb.close()


def build_connector(settings: Settings) -> Connector | None:
    """The customer data connector: the configured endpoint, else the demo store's accounts
    when the demo is on, else none."""
    cfg = settings.connector
    if cfg.url:
        return HttpConnector(cfg.url, cfg.token.get_secret_value(), cfg.timeout_s, cfg.cache_s)
    return FixedConnector(DEMO_ACCOUNTS) if settings.identity.demo else None


def identity_secret(settings: Settings) -> str:
    """The identity signing secret; the demo without one gets a random one per process, which
    only this server's demo page knows (nobody else can sign with it)."""
    secret = settings.identity.secret.get_secret_value()
    return secret or (secrets.token_hex(32) if settings.identity.demo else "")


def build_services(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    chat_model: ChatModel | None = None,
) -> Services:
    """Wire the configured backends; `embedder`/`chat_model` override them (tests, evals)."""
    kb = build_knowledge_base(settings, embedder)
    database = open_database(settings.database_url, settings.storage.pool_size)
    store = database.conversations
    unguarded = chat_model or build_chat_model(settings.llm)
    model = None if unguarded is None else guarded(unguarded, settings.llm)
    prompts = PromptBuilder(
        settings.answer.company_name, settings.llm.context_tokens - settings.llm.max_answer_tokens
    )
    extractive = ExtractiveAnswerer(kb.embedder, prompts, settings.answer.extractive_max_words)
    answerer: Answerer = (
        extractive
        if model is None
        else GenerativeAnswerer(model, prompts, settings.llm.max_answer_tokens)
    )
    broadcaster = build_broadcaster(settings)
    webhooks = WebhookSender(
        settings.escalation.webhook_urls,
        settings.escalation.webhook_secret.get_secret_value(),
        database.webhooks,
        attempts=settings.escalation.webhook_attempts,
        backoff_s=settings.escalation.webhook_backoff_s,
    )
    escalator = Escalator(
        config=settings.escalation,
        detectors=build_detectors(
            settings.escalation,
            kb.embedder,
            onnx_models_dir(settings.embedding, settings.data_dir),
        ),
        embedder=kb.embedder,
        store=store,
        queue=database.queue,
        lifecycle=database.lifecycle,
        agents=database.agents,
        broadcaster=broadcaster,
        webhooks=webhooks,
        hours=parse_hours(settings.escalation.business_hours, settings.escalation.timezone),
        prompts=prompts,
        company=settings.answer.company_name,
        summarizer=model,
    )
    announcements = Announcements(
        database.announcements,
        kb.embedder,
        settings.announcements.min_similarity,
        settings.announcements.webhook_secret.get_secret_value(),
    )
    connector = build_connector(settings)
    page_help = PageHelp(database.articles, settings.page_help)
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
        escalator=escalator,
        agent_context=AgentContext(kb.embedder),
        announcements=announcements,
        connector=connector,
        page_help=page_help,
    )
    editor = EditorService(database.articles, kb, settings.editor)
    conversation_limiter = build_rate_limiter(
        settings, "conversation", settings.api.rate_limit_per_conversation
    )
    secret = identity_secret(settings)
    staff_login = build_staff_login(settings, database.agents)
    help_portal = HelpPortal(database.articles, kb, database.gaps, database.votes)
    rules = Rules.of(settings)
    return Services(
        settings=settings,
        kb=kb,
        store=store,
        database=database,
        chat_model=model,
        responder=responder,
        broadcaster=broadcaster,
        escalator=escalator,
        desk=TicketDesk(
            database.lifecycle,
            database.agents,
            broadcaster,
            webhooks,
            store,
            settings.answer.company_name,
        ),
        ip_limiter=build_rate_limiter(settings, "ip", settings.api.rate_limit_per_ip),
        conversation_limiter=conversation_limiter,
        tickets=TicketView(
            database.queue, database.lifecycle, store, kb, database.emails, connector
        ),
        staff=Staff(database.agents, staff_login, broadcaster, settings.escalation.agent_online_s),
        staff_login=staff_login,
        editor=editor,
        try_it=TryIt(
            responder=responder,
            editor=editor,
            live=kb,
            preview=build_knowledge_base(settings, kb.embedder, "preview"),
        ),
        help_portal=help_portal,
        review=ContentReview(
            ContentGaps(database.gaps, kb.embedder, settings.editor, rules),
            database.gaps,
            editor,
            help_portal,
            settings.editor,
        ),
        reports=Reports(database.windows, kb.embedder, rules),
        announcements=announcements,
        connector=connector,
        identity_secret=secret,
        page_help=page_help,
        replies=ReplyService(
            responder,
            store,
            broadcaster,
            conversation_limiter,
            settings.answer.recovery_window_s,
        ),
        conversations=ConversationService(
            store, escalator, settings.identity, secret, settings.answer.company_name
        ),
    )


@functools.cache
def shipped_emotion_scorer(models: Path | None) -> AdaptedMiniLM:
    """The emotion scorer shipped with the package, loaded once per process (on ONNX Runtime
    with its export in `models`, else torch)."""
    return AdaptedMiniLM.load(bundled_model_dir(), EMOTION_WEIGHTS, EMOTION_RETRAIN_HINT, models)


def export_emotion_scorer(models: Path | None) -> None:
    """Make the shipped emotion scorer's ONNX export in `models` now, if it is not there, so
    the server's start does not (nothing to do on torch, where `models` is None)."""
    if models is not None:
        AdaptedMiniLM.export(bundled_model_dir(), EMOTION_WEIGHTS, EMOTION_RETRAIN_HINT, models)


def build_detectors(
    config: EscalationConfig, embedder: Embedder, models: Path | None = None
) -> MeaningDetectors:
    """Message-level detectors with their example sentences embedded once; the emotion scorer
    runs on ONNX Runtime with its export in `models` (torch without)."""
    topics = load_rules(Path(config.rules_path) if config.rules_path else None)
    return meaning_detectors(
        config, embedder, topics, EmotionModel.load(scorer=shipped_emotion_scorer(models))
    )
