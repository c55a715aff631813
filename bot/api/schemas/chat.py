"""API request (In) and response (Out) models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from bot.conversations.events import TurnOut
from bot.conversations.models import Channel
from bot.conversations.service import NewConversation, SignedIdentity

EMAIL_PATTERN = r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"
MAX_INT = 2**31 - 1
"""The largest integer any request may carry (ids, versions): beyond it SQLite overflows."""
METADATA_KEYS = 20
METADATA_KEY_CHARS = 64
METADATA_VALUE_CHARS = 500
METADATA_CHARS = 4_000


class IdentityIn(BaseModel):
    """A customer identity signed by the host site's server (README, "Verified customers")."""

    model_config = ConfigDict(extra="forbid")

    payload: str = Field(
        max_length=4000,
        description="base64url of the identity's JSON: user_id (required), email, name, plan, "
        "locale, attributes {}, expires (Unix seconds).",
    )
    signature: str = Field(
        max_length=128, description="Hex HMAC-SHA256 of `payload` with identity.secret."
    )


class CustomerIn(BaseModel):
    """Optional customer metadata sent by the widget when a chat starts."""

    model_config = ConfigDict(extra="forbid")

    channel: Literal["widget", "api"] = Field(
        default="api",
        description="Where the chat takes place: the embedded widget sends `widget`; any "
        "other client is `api`; stored with the conversation.",
    )
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320, pattern=EMAIL_PATTERN)
    page_url: str = Field(default="", max_length=2000)
    page_title: str = Field(
        default="",
        max_length=300,
        description="The host page's title; kept with the metadata as `page_title`.",
    )
    locale: str = Field(default="", max_length=20, pattern=r"^$|^[A-Za-z]{2,3}([-_][A-Za-z0-9]+)*$")
    identity: IdentityIn | None = Field(
        default=None,
        description="Who the customer is, signed by your server; without a valid signature "
        "the customer is anonymous (agents see 'unverified').",
    )
    metadata: dict[str, str] = Field(
        default_factory=dict,
        max_length=METADATA_KEYS,
        description=f"Flat string pairs shown to agents as customer-supplied: at most "
        f"{METADATA_KEYS} keys of 1-{METADATA_KEY_CHARS} characters, values of at most "
        f"{METADATA_VALUE_CHARS}, {METADATA_CHARS:,} characters in all.",
        json_schema_extra={
            "propertyNames": {"minLength": 1, "maxLength": METADATA_KEY_CHARS},
            "additionalProperties": {"type": "string", "maxLength": METADATA_VALUE_CHARS},
        },
    )

    @field_validator("metadata")
    @classmethod
    def _bounded(cls, metadata: dict[str, str]) -> dict[str, str]:
        for key, value in metadata.items():
            if not 1 <= len(key) <= METADATA_KEY_CHARS:
                raise PydanticCustomError(
                    "metadata_key",
                    "a key has {chars} characters; keys have 1 to {limit}",
                    {"chars": len(key), "limit": METADATA_KEY_CHARS},
                )
            if len(value) > METADATA_VALUE_CHARS:
                raise PydanticCustomError(
                    "metadata_value",
                    "the value of '{key}' has {chars} characters; the limit is {limit}",
                    {"key": key, "chars": len(value), "limit": METADATA_VALUE_CHARS},
                )
        total = sum(len(key) + len(value) for key, value in metadata.items())
        if total > METADATA_CHARS:
            raise PydanticCustomError(
                "metadata_size",
                "{total} characters in all; the limit is {limit}",
                {"total": total, "limit": METADATA_CHARS},
            )
        return metadata

    def new_conversation(self) -> NewConversation:
        """As the domain type; the metadata keeps the page title when the widget sent one
        (issue 21)."""
        title = self.page_title.strip()
        identity = self.identity
        return NewConversation(
            channel=Channel(self.channel),
            name=self.name,
            email=self.email,
            locale=self.locale,
            page_url=self.page_url,
            metadata=self.metadata | {"page_title": title} if title else dict(self.metadata),
            identity=SignedIdentity(identity.payload, identity.signature) if identity else None,
        )


class ConversationCreated(BaseModel):
    """A new conversation and the token every later call on it needs."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    token: str
    locale: str
    mode: str
    created_at: dt.datetime
    verified: bool = Field(
        default=False, description="True when the signed identity checked out (issue 21)."
    )
    greeting: str = Field(
        default="", description="A greeting by name for a verified customer (else empty)."
    )


ClientId = Annotated[
    str | None,
    Field(
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="A key the client makes per message and reuses when it resends: "
        "the message is stored once.",
    ),
]


class MessageIn(BaseModel):
    """A customer message; `client_id` makes resends idempotent."""

    model_config = ConfigDict(extra="forbid")

    text: str
    client_id: ClientId = None


class ReplyOut(BaseModel):
    """The stored customer message and the bot's reply (None while a person answers)."""

    model_config = ConfigDict(from_attributes=True)

    message: TurnOut
    reply: TurnOut | None
    mode: str
    handoff: TurnOut | None = Field(
        default=None,
        description="The notice telling the customer that a person will take the chat (the "
        "typical wait, or that nobody is free now and an email address is welcome), when this "
        "message handed the chat over; after the reply when the bot answered first.",
    )


class ConversationOut(BaseModel):
    """A conversation with its history as the customer sees it (hand-back notes left out)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    mode: str
    locale: str
    notice_locale: str = Field(
        description="The language the server words notices in (the customer's latest "
        "message's, issue 17); the widget asks for its satisfaction rating in it too."
    )
    created_at: dt.datetime
    csat: int | None
    turns: list[TurnOut]


class FeedbackIn(BaseModel):
    """Thumbs up/down on one bot turn (`turn_id` + `rating`), or CSAT 1-5 for the chat."""

    model_config = ConfigDict(extra="forbid")

    turn_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    rating: Literal["up", "down"] | None = None
    csat: int | None = Field(default=None, ge=1, le=5)
    comment: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _one_kind(self) -> FeedbackIn:
        thumbs = self.turn_id is not None and self.rating is not None
        if thumbs == (self.csat is not None) or (self.turn_id is None) != (self.rating is None):
            raise ValueError("send either turn_id and rating (up/down), or csat (1-5)")
        return self


class ErrorOut(BaseModel):
    """Every error response: a stable code and a sentence for people."""

    error_code: str
    detail: str
    extra: dict[str, Any] | None = None


class HandoffIn(BaseModel):
    """A customer's request for a person; `email` when nobody is available."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(default="", max_length=320, pattern=EMAIL_PATTERN)


class CancelOut(BaseModel):
    """Who answers now that the request for a person is cancelled, and the notice saying so
    (empty, with the mode unchanged, when a person already took the chat)."""

    model_config = ConfigDict(from_attributes=True)

    mode: str
    notice: str


class HandoffOut(BaseModel):
    """What happens now: waiting for a person, or offline (leave an email)."""

    model_config = ConfigDict(from_attributes=True)

    mode: Literal["waiting", "offline"]
    wait_message: str
    ticket_id: str
