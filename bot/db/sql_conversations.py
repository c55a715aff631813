"""`ConversationStore` on SQLite or PostgreSQL: sync SQLAlchemy Core run in worker threads."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, RowMapping

from bot.conversations.models import (
    Channel,
    Citation,
    Conversation,
    Customer,
    Mode,
    PastConversation,
    Role,
    Turn,
    TurnKind,
)
from bot.db.engine import ConstraintViolation, transaction
from bot.db.schema import conversations, customers, feedback, turns
from bot.errors import Forbidden, InvalidInput, NotFound, StorageError


class SqlConversationStore:
    """Conversations in the SQL database of `engine` (schema migrated by `migrate()`)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def create_conversation(
        self,
        customer: Customer,
        *,
        channel: Channel,
        locale: str,
        page_url: str = "",
        metadata: Mapping[str, Any] | None = None,
        identity: Mapping[str, Any] | None = None,
    ) -> tuple[Conversation, str]:
        """Create (or reuse, by external id or email) the customer and a new conversation."""
        return await anyio.to_thread.run_sync(
            self._create_conversation,
            customer,
            channel,
            locale,
            page_url,
            dict(metadata or {}),
            dict(identity) if identity else None,
        )

    async def get(self, conversation_id: str) -> Conversation:
        """The conversation."""
        return await anyio.to_thread.run_sync(self._get, conversation_id)

    async def identity(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's checked identity ({} when none was offered)."""
        return await anyio.to_thread.run_sync(self._identity, conversation_id)

    async def get_customer(self, customer_id: str) -> Customer:
        """The customer."""
        return await anyio.to_thread.run_sync(self._get_customer, customer_id)

    async def check_token(self, conversation_id: str, token: str) -> Conversation:
        """The conversation if `token` is its token; raises `Forbidden` otherwise."""
        return await anyio.to_thread.run_sync(self._check_token, conversation_id, token)

    async def append(
        self,
        conversation_id: str,
        role: Role,
        text: str,
        *,
        citations: Sequence[Citation] = (),
        confidence: float | None = None,
        kind: TurnKind = TurnKind.MESSAGE,
        meta: Mapping[str, Any] | None = None,
        client_id: str | None = None,
    ) -> Turn:
        """Store a turn with the next seq; a reused `client_id` returns the existing turn."""
        values = turn_values(
            conversation_id,
            role,
            text,
            citations=citations,
            confidence=confidence,
            kind=kind,
            meta=meta,
            client_id=client_id,
        )
        return await anyio.to_thread.run_sync(self._append, values)

    async def turns(self, conversation_id: str, *, after_seq: int = 0) -> list[Turn]:
        """Turns with seq > after_seq, in order."""
        return await anyio.to_thread.run_sync(self._turns, conversation_id, after_seq)

    async def turn(self, conversation_id: str, turn_id: int) -> Turn:
        """One turn of this conversation."""
        return await anyio.to_thread.run_sync(self._turn, conversation_id, turn_id)

    async def set_mode(self, conversation_id: str, mode: Mode) -> Conversation:
        """Change who answers the conversation."""
        return await anyio.to_thread.run_sync(self._set_mode, conversation_id, mode)

    async def unanswered(self, since: dt.datetime, limit: int) -> list[Turn]:
        """Customer turns since `since` with no answer, in bot-mode conversations untouched
        since their last turn, oldest first."""
        return await anyio.to_thread.run_sync(self._unanswered, since, limit)

    async def claim(self, conversation_id: str) -> bool:
        """Mark the conversation changed now unless it changed since its last turn; True for
        one caller of several."""
        return await anyio.to_thread.run_sync(self._claim, conversation_id)

    async def add_feedback(
        self, conversation_id: str, turn_id: int, rating: int, comment: str
    ) -> None:
        """Record thumbs up (+1) / down (-1) on a bot turn of this conversation (last one wins)."""
        if rating not in (1, -1):
            raise InvalidInput(f"rating must be +1 or -1, not {rating}")
        await anyio.to_thread.run_sync(
            self._add_feedback, conversation_id, turn_id, rating, comment
        )

    async def set_csat(self, conversation_id: str, score: int, comment: str) -> None:
        """Record the 1-5 satisfaction score of the conversation."""
        if not 1 <= score <= 5:
            raise InvalidInput(f"the satisfaction score must be 1 to 5, not {score}")
        await anyio.to_thread.run_sync(self._set_csat, conversation_id, score, comment)

    async def ping(self) -> None:
        """Raise `StorageError` unless the database answers."""
        await anyio.to_thread.run_sync(self._ping)

    async def aclose(self) -> None:
        """Release connections."""
        await anyio.to_thread.run_sync(self._engine.dispose)

    def _create_conversation(
        self,
        customer: Customer,
        channel: Channel,
        locale: str,
        page_url: str,
        metadata: dict[str, Any],
        identity: dict[str, Any] | None,
    ) -> tuple[Conversation, str]:
        token = secrets.token_urlsafe(32)
        conversation_id = uuid.uuid4().hex
        now = _now()
        with transaction(self._engine) as conn:
            customer_id = _find_or_add_customer(conn, customer, locale, now)
            conn.execute(
                conversations.insert().values(
                    id=conversation_id,
                    customer_id=customer_id,
                    channel=channel.value,
                    mode=Mode.BOT.value,
                    locale=locale,
                    page_url=page_url,
                    metadata=metadata,
                    token_hash=_token_hash(token),
                    created_at=now,
                    updated_at=now,
                    # Named only when set: the insert works on schemas before migration 0011.
                    **({"identity": identity} if identity else {}),
                )
            )
            return _conversation(_conversation_row(conn, conversation_id)), token

    def _get(self, conversation_id: str) -> Conversation:
        with transaction(self._engine) as conn:
            return _conversation(_conversation_row(conn, conversation_id))

    async def customer_conversations(self, customer_id: str, limit: int) -> list[PastConversation]:
        """The customer's conversations, newest first, with their opening message."""
        return await anyio.to_thread.run_sync(self._customer_conversations, customer_id, limit)

    def _customer_conversations(self, customer_id: str, limit: int) -> list[PastConversation]:
        counts = (
            sa.select(turns.c.conversation_id, sa.func.count().label("n"))
            .group_by(turns.c.conversation_id)
            .subquery()
        )
        first = (
            sa.select(turns.c.conversation_id, sa.func.min(turns.c.seq).label("seq"))
            .where(turns.c.role == Role.CUSTOMER.value)
            .group_by(turns.c.conversation_id)
            .subquery()
        )
        opening = turns.alias("opening")
        query = (
            sa.select(conversations, counts.c.n, opening.c.text.label("opening"))
            .outerjoin(counts, counts.c.conversation_id == conversations.c.id)
            .outerjoin(first, first.c.conversation_id == conversations.c.id)
            .outerjoin(
                opening,
                sa.and_(
                    opening.c.conversation_id == first.c.conversation_id,
                    opening.c.seq == first.c.seq,
                ),
            )
            .where(conversations.c.customer_id == customer_id)
            .order_by(conversations.c.created_at.desc(), conversations.c.id)
            .limit(limit)
        )
        with transaction(self._engine) as conn:
            rows = conn.execute(query).mappings().all()
        return [
            PastConversation(_conversation(row), row["opening"] or "", row["n"] or 0)
            for row in rows
        ]

    def _get_customer(self, customer_id: str) -> Customer:
        with transaction(self._engine) as conn:
            row = (
                conn.execute(sa.select(customers).where(customers.c.id == customer_id))
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"no customer {customer_id!r}")
        return Customer(
            id=row["id"],
            name=row["name"],
            email=row["email"],
            locale=row["locale"],
            external_id=row["external_id"],
            metadata=row["metadata"],
            created_at=row["created_at"],
        )

    def _identity(self, conversation_id: str) -> dict[str, Any]:
        with transaction(self._engine) as conn:
            found = conn.execute(
                sa.select(conversations.c.identity).where(conversations.c.id == conversation_id)
            ).first()
        if found is None:
            raise NotFound(f"no conversation {conversation_id!r}")
        return dict(found[0] or {})

    def _check_token(self, conversation_id: str, token: str) -> Conversation:
        with transaction(self._engine) as conn:
            row = _conversation_row(conn, conversation_id)
        if not hmac.compare_digest(_token_hash(token), row["token_hash"]):
            raise Forbidden("this token does not grant access to the conversation")
        return _conversation(row)

    def _append(self, values: dict[str, Any]) -> Turn:
        conversation_id, client_id = values["conversation_id"], values["client_id"]
        try:
            with transaction(self._engine) as conn:
                return append_turn(conn, values)
        except ConstraintViolation:
            if client_id is None:
                raise
        # A concurrent resend with the same client_id committed first: return its turn.
        with transaction(self._engine) as conn:
            existing = client_turn(conn, conversation_id, client_id)
        if existing is None:
            raise StorageError(f"turn with client_id {client_id!r} vanished during a resend")
        return existing

    def _turns(self, conversation_id: str, after_seq: int) -> list[Turn]:
        with transaction(self._engine) as conn:
            rows = (
                conn.execute(
                    sa.select(turns)
                    .where(turns.c.conversation_id == conversation_id, turns.c.seq > after_seq)
                    .order_by(turns.c.seq)
                )
                .mappings()
                .all()
            )
            if not rows:
                _conversation_row(conn, conversation_id)
        return [_turn(row) for row in rows]

    def _turn(self, conversation_id: str, turn_id: int) -> Turn:
        with transaction(self._engine) as conn:
            row = (
                conn.execute(
                    sa.select(turns).where(
                        turns.c.id == turn_id, turns.c.conversation_id == conversation_id
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"no turn {turn_id} in conversation {conversation_id!r}")
        return _turn(row)

    def _set_mode(self, conversation_id: str, mode: Mode) -> Conversation:
        with transaction(self._engine) as conn:
            return change_mode(conn, conversation_id, mode)

    def _unanswered(self, since: dt.datetime, limit: int) -> list[Turn]:
        asked, later = turns.alias("asked"), turns.alias("later")
        last = turns.alias("last")
        key = sa.literal("reply-to:") + sa.cast(asked.c.id, sa.String)
        with transaction(self._engine) as conn:
            rows = (
                conn.execute(
                    sa.select(asked)
                    .join(conversations, conversations.c.id == asked.c.conversation_id)
                    .join(
                        last,
                        sa.and_(
                            last.c.conversation_id == conversations.c.id,
                            last.c.seq == conversations.c.last_seq,
                        ),
                    )
                    .where(
                        asked.c.role == Role.CUSTOMER.value,
                        asked.c.created_at >= since,
                        conversations.c.mode == Mode.BOT.value,
                        # Untouched since its last turn: not claimed, no mode change since.
                        conversations.c.updated_at == last.c.created_at,
                        ~sa.exists().where(
                            later.c.conversation_id == asked.c.conversation_id,
                            sa.or_(
                                # Its answer, unless a handoff was due after it.
                                sa.and_(
                                    later.c.client_id == key,
                                    sa.func.coalesce(
                                        later.c.meta["hands_over"].as_boolean(), sa.false()
                                    ).is_(sa.false()),
                                ),
                                sa.and_(
                                    later.c.seq > asked.c.seq,
                                    later.c.role.in_([Role.AGENT.value, Role.SYSTEM.value]),
                                ),
                            ),
                        ),
                    )
                    .order_by(asked.c.created_at, asked.c.id)
                    .limit(max(limit, 0))
                )
                .mappings()
                .all()
            )
        return [_turn(row) for row in rows]

    def _claim(self, conversation_id: str) -> bool:
        last = (
            sa.select(turns.c.created_at)
            .where(
                turns.c.conversation_id == conversations.c.id,
                turns.c.seq == conversations.c.last_seq,
            )
            .scalar_subquery()
        )
        with transaction(self._engine) as conn:
            claimed = conn.execute(
                sa.update(conversations)
                .where(conversations.c.id == conversation_id, conversations.c.updated_at == last)
                .values(updated_at=_now())
            ).rowcount
        return bool(claimed == 1)

    def _add_feedback(self, conversation_id: str, turn_id: int, rating: int, comment: str) -> None:
        with transaction(self._engine) as conn:
            role = conn.execute(
                sa.select(turns.c.role).where(
                    turns.c.id == turn_id, turns.c.conversation_id == conversation_id
                )
            ).scalar_one_or_none()
            if role is None:
                raise NotFound(f"no turn {turn_id} in conversation {conversation_id!r}")
            if role != Role.BOT.value:
                raise InvalidInput("feedback is accepted only on bot turns")
            changes = {"rating": rating, "comment": comment, "created_at": _now()}
            upsert: postgresql.Insert | sqlite.Insert
            if conn.dialect.name == "postgresql":
                upsert = postgresql.insert(feedback)
            else:
                upsert = sqlite.insert(feedback)
            conn.execute(
                upsert.values(
                    turn_id=turn_id, conversation_id=conversation_id, **changes
                ).on_conflict_do_update(index_elements=[feedback.c.turn_id], set_=changes)
            )

    def _set_csat(self, conversation_id: str, score: int, comment: str) -> None:
        with transaction(self._engine) as conn:
            updated = conn.execute(
                sa.update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(csat=score, csat_comment=comment, updated_at=_now())
            ).rowcount
        if not updated:
            raise NotFound(f"no conversation {conversation_id!r}")

    def _ping(self) -> None:
        with transaction(self._engine) as conn:
            conn.execute(sa.select(1))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _find_or_add_customer(
    conn: Connection, customer: Customer, locale: str, now: dt.datetime
) -> str:
    """The id of the customer with this external id or email, created when there is none.

    The external id is a verified user id (issue 21): a verified customer is found by it only,
    and an email nobody verified never finds a verified customer's record (their NPS answers
    and history stay theirs)."""
    external_id = customer.external_id.strip()
    email = customer.email.strip().lower()
    row = None
    match = (
        customers.c.external_id == external_id
        if external_id
        else sa.and_(customers.c.email == email, customers.c.external_id == "")
    )
    if external_id or email:
        row = conn.execute(
            sa.select(customers.c.id, customers.c.name, customers.c.locale)
            .where(match)
            .order_by(customers.c.created_at)
            .limit(1)
        ).first()
    if row is None:
        customer_id = uuid.uuid4().hex
        conn.execute(
            customers.insert().values(
                id=customer_id,
                external_id=external_id,
                name=customer.name,
                email=email,
                locale=customer.locale or locale,
                metadata=dict(customer.metadata),
                created_at=now,
            )
        )
        return customer_id
    filled = {
        key: value
        for key, current, value in (
            ("name", row.name, customer.name),
            ("locale", row.locale, customer.locale or locale),
        )
        if value and not current
    }
    if filled:
        conn.execute(sa.update(customers).where(customers.c.id == row.id).values(**filled))
    return str(row.id)


# A conversation's columns but its identity, which only `identity()` reads: the other queries
# work on a database not yet migrated to 0011 (the migration tests write at old revisions).
ROW_COLUMNS = tuple(column for column in conversations.c if column.name != "identity")


def _conversation_row(conn: Connection, conversation_id: str) -> RowMapping:
    row = (
        conn.execute(sa.select(*ROW_COLUMNS).where(conversations.c.id == conversation_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no conversation {conversation_id!r}")
    return row


def turn_values(
    conversation_id: str,
    role: Role,
    text: str,
    *,
    citations: Sequence[Citation] = (),
    confidence: float | None = None,
    kind: TurnKind = TurnKind.MESSAGE,
    meta: Mapping[str, Any] | None = None,
    client_id: str | None = None,
) -> dict[str, Any]:
    """The row values of a new turn, for `append_turn`."""
    return {
        "conversation_id": conversation_id,
        "role": role.value,
        "text": text,
        "citations": [dataclasses.asdict(citation) for citation in citations],
        "confidence": confidence,
        "kind": kind.value,
        "meta": dict(meta or {}),
        "client_id": client_id,
    }


def append_turn(conn: Connection, values: Mapping[str, Any]) -> Turn:
    """Store a turn with the next seq in the caller's transaction (values of `turn_values`).

    A `client_id` already used in the conversation returns that turn; a concurrent resend
    that commits first makes this one raise ConstraintViolation.
    """
    conversation_id, client_id = values["conversation_id"], values["client_id"]
    if client_id is not None:
        existing = client_turn(conn, conversation_id, client_id)
        if existing is not None:
            return existing
    now = _now()
    # One UPDATE both reserves the seq and locks the row: concurrent appends,
    # from any process, queue here and each gets the next number.
    seq = conn.execute(
        sa.update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(last_seq=conversations.c.last_seq + 1, updated_at=now)
        .returning(conversations.c.last_seq)
    ).scalar_one_or_none()
    if seq is None:
        raise NotFound(f"no conversation {conversation_id!r}")
    row = (
        conn.execute(turns.insert().values(seq=seq, created_at=now, **values).returning(*turns.c))
        .mappings()
        .one()
    )
    return _turn(row)


def change_mode(conn: Connection, conversation_id: str, mode: Mode) -> Conversation:
    """Set who answers the conversation, in the caller's transaction."""
    row = (
        conn.execute(
            sa.update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(mode=mode.value, updated_at=_now())
            .returning(*ROW_COLUMNS)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no conversation {conversation_id!r}")
    return _conversation(row)


def client_turn(conn: Connection, conversation_id: str, client_id: str) -> Turn | None:
    """The conversation's turn stored with this `client_id`, if any."""
    row = (
        conn.execute(
            sa.select(turns).where(
                turns.c.conversation_id == conversation_id, turns.c.client_id == client_id
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else _turn(row)


def _conversation(row: RowMapping) -> Conversation:
    return Conversation(
        id=row["id"],
        customer_id=row["customer_id"],
        channel=Channel(row["channel"]),
        mode=Mode(row["mode"]),
        locale=row["locale"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        page_url=row["page_url"],
        metadata=row["metadata"],
        csat=row["csat"],
    )


def _turn(row: RowMapping) -> Turn:
    return Turn(
        id=row["id"],
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        role=Role(row["role"]),
        text=row["text"],
        created_at=row["created_at"],
        citations=tuple(Citation(**item) for item in row["citations"]),
        confidence=row["confidence"],
        kind=TurnKind(row["kind"]),
        meta=row["meta"],
        client_id=row["client_id"],
    )
