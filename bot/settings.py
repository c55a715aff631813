"""The one typed settings object (env prefix SUPPORTBOT_, nested delimiter __)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from escalation.config import EscalationConfig
from retrieval.config import (
    ChunkingConfig,
    EmbeddingConfig,
    KeywordConfig,
    SearchConfig,
    VectorConfig,
)


class StorageConfig(BaseModel):
    """The SQL database of conversations, tickets and agents."""

    url: str = Field(
        default="",
        description="SQLAlchemy URL; empty = sqlite:///<data_dir>/supportbot.db. "
        "postgresql://user@host/db scales out.",
    )
    pool_size: int = Field(default=10, ge=1)


class LLMConfig(BaseModel):
    """The answer generator: extractive (no model), an OpenAI-compatible server, or local GGUF."""

    backend: Literal["extractive", "openai-compatible", "local"] = "extractive"
    base_url: str = Field(default="", description="e.g. http://localhost:8080/v1 (llama.cpp)")
    api_key: SecretStr = Field(default=SecretStr(""), description="Sent as the bearer token.")
    model: str = Field(default="", description="Model name sent to the server.")
    gguf_path: str = Field(default="", description="local backend: GGUF file; empty = SmolLM2.")
    timeout_s: float = Field(
        default=30.0, gt=0, description="One HTTP request to the LLM (connect, read) at most."
    )
    max_retries: int = Field(
        default=2,
        ge=0,
        description="Retries of a refused or failed request (never of a stalled stream), "
        "within the deadline below.",
    )
    first_token_s: float = Field(
        default=4.0,
        gt=0,
        description="An answer whose first token takes longer is abandoned: the customer gets "
        "the apology and the offer of a person.",
    )
    deadline_s: float = Field(
        default=30.0,
        gt=0,
        description="Every LLM call (answer, summary, rewrite) ends by then, retries included.",
    )
    breaker_failures: int = Field(
        default=3,
        ge=1,
        description="After this many failures or timeouts in a row the LLM counts as down...",
    )
    breaker_cooloff_s: float = Field(
        default=30.0,
        gt=0,
        description="...for this long: nothing waits on it (summaries and rewrites use their "
        "fallback at once), then one call tries it again.",
    )
    temperature: float = Field(default=0.1, ge=0, le=2)
    max_answer_tokens: int = Field(default=350, ge=16)
    context_tokens: int = Field(default=4096, ge=512, description="Prompt + answer budget.")


class AnswerConfig(BaseModel):
    """How answers are composed and when the bot refuses."""

    company_name: str = "Brightcart"
    passages: int = Field(default=4, ge=1, description="Articles given to the answerer.")
    citation_links: Literal["help_center", "article_url"] = Field(
        default="help_center",
        description="Where citations link: this app's help-center pages (/help/<id>), or each "
        "article's own `url` front matter (an external help center; articles without one "
        "still link here).",
    )
    history_turns: int = Field(default=6, ge=0, description="Earlier turns kept in the prompt.")
    refusal_relevance: float = Field(
        default=0.30, ge=0, le=1, description="Top relevance under which the bot refuses."
    )
    min_coverage: float = Field(
        default=0.34,
        ge=0,
        le=1,
        description="Share of the question's focus words the found articles must mention, "
        "else the bot refuses (they share a topic, not the answer).",
    )
    refusal_confidence: float = Field(
        default=0.39,
        ge=0,
        le=1,
        description="Refuse (suggesting the closest articles, offering a person) when even a "
        "fully grounded answer from the found articles would have a confidence under this: "
        "such answers are more often wrong than right, so the customer is not shown a likely "
        "wrong answer. 0 = off.",
    )
    max_message_chars: int = Field(default=4000, ge=1)
    extractive_max_words: int = Field(
        default=60,
        ge=20,
        description="Word budget of an extractive answer (its leading unit is always shown, "
        "and steps asked for are not counted).",
    )
    recovery_window_s: int = Field(
        default=600,
        ge=0,
        le=7 * 86_400,
        description="At start, answer customer messages that a crash left without a reply "
        "this many seconds back (0 = off).",
    )


class GroundingConfig(BaseModel):
    """Thresholds of the grounding check (each answer sentence against the cited passages)."""

    min_similarity: float = Field(default=0.72, ge=0, le=1)
    min_similarity_with_overlap: float = Field(default=0.5, ge=0, le=1)
    min_overlap: float = Field(default=0.6, ge=0, le=1)
    min_kept_ratio: float = Field(
        default=0.5, ge=0, le=1, description="Share of sentences that must survive, else fallback."
    )


class ApiConfig(BaseModel):
    """The HTTP service."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Widget origins allowed, JSON list: ["https://shop.example"]',
    )
    max_body_bytes: int = Field(default=65_536, ge=1_024)
    ws_auth_timeout_s: float = Field(
        default=10.0, gt=0, description="A WebSocket must send its auth message within this."
    )
    rate_limit_per_ip: int = Field(default=120, ge=1, description="Requests per minute per IP.")
    rate_limit_per_conversation: int = Field(
        default=30, ge=1, description="Messages per minute per conversation."
    )
    rate_limit_backend: Literal["memory", "redis"] = Field(
        default="memory",
        description="memory counts per worker; redis shares the counts (needs redis.url).",
    )


class LoginConfig(BaseModel):
    """Staff login: lockouts after wrong passwords, doubling each time (api.rate_limit_backend)."""

    max_failures_per_account: int = Field(
        default=5, ge=1, description="Wrong passwords for one account before it is locked out."
    )
    max_failures_per_ip: int = Field(
        default=20, ge=1, description="Wrong passwords from one address before it is locked out."
    )
    lockout_s: float = Field(
        default=30.0, gt=0, description="First lockout; each further failure doubles it."
    )
    max_lockout_s: float = Field(default=900.0, gt=0, description="Longest lockout.")
    forget_after_s: float = Field(
        default=900.0, gt=0, description="Failures are forgotten this long after the last one."
    )


class RedisConfig(BaseModel):
    """The Redis server that API workers share (live events, rate limits)."""

    url: str = Field(default="", description="e.g. redis://localhost:6379/0; empty = no Redis.")


class RealtimeConfig(BaseModel):
    """Live events to WebSocket listeners (customers, agents)."""

    backend: Literal["memory", "redis"] = Field(
        default="memory",
        description="memory: one worker only; redis: pub/sub across workers (needs redis.url).",
    )


class EditorConfig(BaseModel):
    """The content editors' tools: article limits, content gaps and stale articles."""

    max_article_chars: int = Field(
        default=100_000, ge=1_000, description="Longest article body an editor may save."
    )
    max_import_bytes: int = Field(
        default=20_000_000,
        ge=1_000,
        description="Largest upload to the article import (a zip may unpack to 5x this).",
    )
    max_import_files: int = Field(
        default=2_000, ge=1, description="Most files one article import may hold."
    )
    gap_distance: float = Field(
        default=0.55,
        gt=0,
        le=2,
        description="Content gaps: questions join a group while their average cosine distance "
        "to it is at most this (0 = same meaning, 1 = unrelated).",
    )
    gap_min_questions: int = Field(
        default=2, ge=1, description="Content gaps: smaller groups are left out as noise."
    )
    gap_cover_similarity: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="A group stays covered by an article while its centroid's cosine to the "
        "covered group's centroid is at least this.",
    )
    stale_days: int = Field(
        default=180, ge=1, description="Stale content: an article not updated for this many days..."
    )
    stale_min_citations: int = Field(
        default=3, ge=1, description="Stale content: ...and cited at least this many times..."
    )
    stale_window_days: int = Field(
        default=30, ge=1, description="Stale content: ...in these last days (today included)."
    )


class AnalyticsConfig(BaseModel):
    """How the admin figures and the content gaps read conversations (issues #17, #21)."""

    quiet_minutes: int = Field(
        default=30,
        ge=1,
        description="A confident answer followed by this many minutes without another "
        "customer message counts as resolved.",
    )
    nps_period_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="NPS survey: a customer answers it at most once in this many days.",
    )


class AnnouncementsConfig(BaseModel):
    """Announcements (issue 21): the status page's webhook and when the bot answers from one."""

    webhook_secret: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC-SHA256 key of the status page's incident webhook; empty = webhook off.",
    )
    min_similarity: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="The bot answers from an active announcement whose title and text are at "
        "least this similar (cosine) to the question.",
    )


Security = Literal["ssl", "starttls", "plain"]


class MailConfig(BaseModel):
    """The email channel (issue 20): a support mailbox read by IMAP, answered by SMTP."""

    enabled: bool = Field(
        default=False, description="Poll the mailbox (in `serve`, or `supportbot mail poll`)."
    )
    address: str = Field(default="", description="The support address: From of our replies.")
    display_name: str = Field(default="", description="Sender name; empty = the company name.")
    public_url: str = Field(
        default="",
        description="This server's public address (e.g. https://support.example.com): "
        "citations link to <public_url>/help/<article>.",
    )
    imap_host: str = ""
    imap_port: int = Field(default=0, ge=0, le=65535, description="0 = 993 (ssl) or 143.")
    imap_security: Security = Field(
        default="ssl", description="ssl (IMAPS), starttls, or plain (localhost tests only)."
    )
    imap_user: str = Field(default="", description="Empty = the address.")
    imap_password: SecretStr = SecretStr("")
    imap_folder: str = "INBOX"
    smtp_host: str = ""
    smtp_port: int = Field(default=0, ge=0, le=65535, description="0 = 465 (ssl) or 587.")
    smtp_security: Security = Field(default="starttls", description="ssl, starttls or plain.")
    smtp_user: str = Field(default="", description="Empty = no SMTP login.")
    smtp_password: SecretStr = SecretStr("")
    ca_file: str = Field(
        default="",
        description="PEM file of CA certificates trusted besides the system's, for a mail "
        "server with a private CA (IMAP and SMTP); empty = the system CAs only.",
    )
    poll_interval_s: float = Field(
        default=60.0, gt=0, description="Seconds between mailbox checks (IDLE wakes earlier)."
    )
    idle: bool = Field(default=True, description="Wait with IMAP IDLE where the server has it.")
    timeout_s: float = Field(default=30.0, gt=0, description="One IMAP or SMTP operation.")
    max_replies_per_hour: int = Field(
        default=5, ge=1, description="Loop guard: bot replies per thread per hour, at most."
    )
    max_attachment_bytes: int = Field(
        default=10_000_000,
        ge=0,
        description="Attachments up to this size are kept for agents to download; larger ones "
        "are only listed.",
    )
    max_attachments: int = Field(
        default=20, ge=0, description="Attachments listed (and kept) per message."
    )
    max_message_bytes: int = Field(
        default=25_000_000, ge=1, description="Larger messages: only their headers are read."
    )

    @model_validator(mode="after")
    def _check(self) -> MailConfig:
        if self.enabled and not (self.address and self.imap_host and self.smtp_host):
            raise ValueError(
                "mail.enabled needs SUPPORTBOT_MAIL__ADDRESS, SUPPORTBOT_MAIL__IMAP_HOST and "
                "SUPPORTBOT_MAIL__SMTP_HOST"
            )
        if self.ca_file and not Path(self.ca_file).is_file():
            raise ValueError(
                f"SUPPORTBOT_MAIL__CA_FILE: no such file {self.ca_file!r}; give the path of the "
                "PEM file of the mail server's CA, or leave it empty for the system CAs"
            )
        return self


class IdentityConfig(BaseModel):
    """Verified customers (issue 21): the host site signs who is chatting with this secret."""

    secret: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC-SHA256 key the host site signs identities with; empty = every "
        "customer is anonymous (unverified).",
    )
    max_age_s: int = Field(
        default=86_400,
        ge=60,
        description="A signed identity with an `expires` time is refused after it; one without "
        "is refused unless allow_no_expiry.",
    )
    allow_no_expiry: bool = Field(
        default=True, description="Accept signatures that carry no `expires` time."
    )
    demo: bool = Field(
        default=False,
        description="The demo page (/) signs an identity for its one demo customer and serves "
        "the demo store's connector at /demo/connector (never for production data).",
    )


class ConnectorConfig(BaseModel):
    """The company's customer data endpoint, called with a verified customer's id (issue 21)."""

    url: str = Field(
        default="",
        description="URL with {user_id}, e.g. https://shop.example/support/customers/{user_id}; "
        "empty = no account data.",
    )
    token: SecretStr = Field(
        default=SecretStr(""), description="Sent as 'Authorization: Bearer <token>'."
    )
    timeout_s: float = Field(default=3.0, gt=0, le=30, description="One call at most.")
    cache_s: float = Field(
        default=30.0,
        ge=0,
        le=600,
        description="A customer's data is reused for this long (per customer id; 0 = never).",
    )


class PageHelpConfig(BaseModel):
    """Page-aware help: suggestions per page of the host site and the retrieval tie-breaker
    (issue 21)."""

    boost_margin: float = Field(
        default=0.05,
        ge=0,
        le=0.5,
        description="Articles mapped to the customer's page go first when their relevance is "
        "within this of the best result's (0 turns the tie-breaker off).",
    )
    max_suggestions: int = Field(
        default=4, ge=1, le=10, description="Questions and articles the widget suggests per page."
    )
    cache_s: float = Field(
        default=10, ge=0, le=3600, description="Seconds the page map of the articles is reused."
    )
    nudge_after_s: int = Field(
        default=0,
        ge=0,
        le=3600,
        description="Widget nudge after this many seconds on a mapped page, once per page per "
        "visitor (0 = off).",
    )


class Settings(BaseSettings):
    """Every setting of supportbot; created only in entry points (CLI, app factory, evals)."""

    model_config = SettingsConfigDict(
        env_prefix="SUPPORTBOT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    mode: Literal["dev", "prod"] = Field(
        default="dev", description="dev or prod; prod refuses placeholder secrets."
    )
    data_dir: Path = Field(default=Path("data"), description="Indexes and the SQLite database.")
    kb_dir: Path = Field(default=Path("kb_content"), description="Help-center sources to ingest.")
    embedding: EmbeddingConfig = EmbeddingConfig()
    chunking: ChunkingConfig = ChunkingConfig()
    vector: VectorConfig = VectorConfig()
    keyword: KeywordConfig = KeywordConfig()
    search: SearchConfig = SearchConfig()
    storage: StorageConfig = StorageConfig()
    llm: LLMConfig = LLMConfig()
    answer: AnswerConfig = AnswerConfig()
    grounding: GroundingConfig = GroundingConfig()
    api: ApiConfig = ApiConfig()
    login: LoginConfig = LoginConfig()
    escalation: EscalationConfig = EscalationConfig()
    redis: RedisConfig = RedisConfig()
    realtime: RealtimeConfig = RealtimeConfig()
    editor: EditorConfig = EditorConfig()
    analytics: AnalyticsConfig = AnalyticsConfig()
    page_help: PageHelpConfig = PageHelpConfig()
    announcements: AnnouncementsConfig = AnnouncementsConfig()
    mail: MailConfig = MailConfig()
    identity: IdentityConfig = IdentityConfig()
    connector: ConnectorConfig = ConnectorConfig()

    @model_validator(mode="after")
    def _check_backends(self) -> Settings:
        if self.llm.backend == "openai-compatible" and not (self.llm.base_url or self.llm.model):
            raise ValueError(
                "llm.backend openai-compatible needs llm.model (and llm.base_url unless OpenAI): "
                "set SUPPORTBOT_LLM__BASE_URL and SUPPORTBOT_LLM__MODEL"
            )
        secret = self.escalation.webhook_secret.get_secret_value()
        if self.mode == "prod" and self.escalation.webhook_urls and secret == "dev-webhook-secret":
            raise ValueError(
                "set SUPPORTBOT_ESCALATION__WEBHOOK_SECRET: prod refuses the dev secret"
            )
        if self.mode == "prod" and self.identity.demo:
            raise ValueError(
                "SUPPORTBOT_IDENTITY__DEMO signs a demo identity for anyone: prod refuses it"
            )
        if self.connector.url and not self.connector.url.startswith(("http://", "https://")):
            raise ValueError("SUPPORTBOT_CONNECTOR__URL must start with http:// or https://")
        if self.vector.backend == "chroma-http" and not self.vector.host:
            raise ValueError("vector.backend chroma-http needs SUPPORTBOT_VECTOR__HOST")
        self._check_redis()
        keyword_url = self.keyword.url or self.database_url
        if self.keyword.backend == "postgres" and not keyword_url.startswith("postgres"):
            raise ValueError(
                "keyword.backend postgres needs a PostgreSQL database: set "
                "SUPPORTBOT_STORAGE__URL (or SUPPORTBOT_KEYWORD__URL) to postgresql://user@host/db"
            )
        return self

    def _check_redis(self) -> None:
        users = [
            f"{name}=redis"
            for name, backend in (
                ("realtime.backend", self.realtime.backend),
                ("api.rate_limit_backend", self.api.rate_limit_backend),
            )
            if backend == "redis"
        ]
        if users and not self.redis.url:
            raise ValueError(
                f"{' and '.join(users)} {'needs' if len(users) == 1 else 'need'} a Redis server: "
                "set SUPPORTBOT_REDIS__URL (e.g. redis://localhost:6379/0)"
            )
        if self.redis.url and not self.redis.url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("SUPPORTBOT_REDIS__URL must start with redis://, rediss:// or unix://")

    def per_process_backends(self) -> tuple[list[str], list[str]]:
        """What several worker processes would not share: (wrong answers, weaker guarantees)."""
        broken = []
        if self.realtime.backend == "memory":
            broken.append(
                "live events stay in one worker (an agent on one would not reach a customer on "
                "another): set SUPPORTBOT_REALTIME__BACKEND=redis and SUPPORTBOT_REDIS__URL"
            )
        weaker = []
        if self.api.rate_limit_backend == "memory":
            weaker.append(
                "rate limits count per worker (N workers allow N times the limit); "
                "SUPPORTBOT_API__RATE_LIMIT_BACKEND=redis shares them"
            )
        if self.vector.backend == "chroma-persistent":
            weaker.append(
                "each worker opens the Chroma folder itself, so articles published through one "
                "may reach the others only after a restart; "
                "SUPPORTBOT_VECTOR__BACKEND=chroma-http shares one Chroma server"
            )
        return broken, weaker

    @property
    def index_dir(self) -> Path:
        """Folder of the local vector and keyword indexes."""
        return self.data_dir / "index"

    @property
    def database_url(self) -> str:
        """The configured database URL, or the SQLite file in the data dir."""
        return self.storage.url or f"sqlite:///{self.data_dir / 'supportbot.db'}"


def env_names(model: type[BaseModel] = Settings, prefix: str = "SUPPORTBOT_") -> list[str]:
    """Every environment variable that sets a leaf field, e.g. SUPPORTBOT_VECTOR__HOST."""
    names: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(env_names(annotation, f"{prefix}{name.upper()}__"))
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def env_example() -> str:
    """The `.env.example` text: every variable, its description and its default."""
    lines = [
        "# supportbot settings: every variable with its default (prefix SUPPORTBOT_, nested __).",
        "# Copy to .env and change what you need; the embedded defaults need no server.",
        "# Regenerate with: supportbot check-config --env-example > .env.example",
    ]
    defaults = Settings.model_construct()
    section = ""
    for name in env_names():
        path = name.removeprefix("SUPPORTBOT_").lower().split("__")
        owner: BaseModel = defaults
        for part in path[:-1]:
            owner = getattr(owner, part)
        field = type(owner).model_fields[path[-1]]
        value = getattr(owner, path[-1])
        shown = "" if isinstance(value, SecretStr) else value
        if isinstance(value, list):
            shown = "[]"
        if len(path) > 1 and path[0] != section:
            section = path[0]
            lines += ["", f"# --- {section} ---"]
        if field.description:
            lines.append(f"# {field.description}")
        lines.append(f"# {name}={shown}")
    return "\n".join(lines) + "\n"
