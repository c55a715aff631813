"""Configuration of the escalation package (plain models; they never read env)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class EscalationConfig(BaseModel):
    """Detector thresholds, availability and webhooks."""

    enabled: bool = True
    low_confidence: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Answer confidence under which the chat goes to a person.",
    )
    weak_confidence: float = Field(
        default=0.55, ge=0, le=1, description="An answer under this is weak."
    )
    weak_streak: int = Field(
        default=2,
        ge=1,
        description="Weak answers in a row, each citing an article the next one cites, that "
        "escalate (unrelated questions each answered a little unsure are no streak).",
    )
    emotion_threshold: float = Field(
        default=0.0, ge=0, le=1, description="0 = the trained model's threshold."
    )
    emotion_handoff: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="An emotionally charged message scoring under this, only annoyed in "
        "words ('so annoying', no swearing, threat or shouting), or saying no feeling at all "
        "('the item i got is broken'), is acknowledged and answered "
        "first (a weak answer still goes to a person, with the emotion among the reasons); at "
        "or above it, it goes to a person before any answer. 0 = always before.",
    )
    human_request_similarity: float = Field(default=0.6, ge=0, le=1)
    sensitive_similarity: float = Field(default=0.62, ge=0, le=1)
    rephrase_similarity: float = Field(default=0.8, ge=0, le=1)
    rules_path: str = Field(
        default="", description="Sensitive-topic rules (YAML); empty = the shipped file."
    )
    business_hours: str = Field(
        default="mon-fri 08:00-20:00; sat 09:00-17:00",
        description="When agents work: 'mon-fri 08:00-20:00; sat 09:00-17:00'; empty = always.",
    )
    timezone: str = "America/New_York"
    agent_online_s: int = Field(
        default=120, ge=10, description="An agent seen this recently is online."
    )
    typical_wait_minutes: int = Field(
        default=5, ge=1, description="The wait told when no chat was claimed in the wait window."
    )
    wait_window_days: int = Field(
        default=7,
        ge=1,
        description="The wait told at a handoff is the median wait of the chats claimed in "
        "these last days.",
    )
    webhook_urls: list[str] = Field(default_factory=list, description="JSON list of URLs.")
    webhook_secret: SecretStr = Field(
        default=SecretStr("dev-webhook-secret"), description="HMAC-SHA256 key."
    )
    webhook_attempts: int = Field(default=4, ge=1)
    webhook_backoff_s: float = Field(default=0.5, gt=0)
