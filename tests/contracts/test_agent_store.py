"""Contract of `AgentStore` on SQLite and PostgreSQL, and the scrypt password hashing."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.schema import escalation_tables
from bot.db.sql_agents import SqlAgentStore
from escalation.errors import AuthError, DuplicateAgent
from escalation.interfaces import AgentStore
from escalation.passwords import hash_password, verify_password
from escalation.types import AgentRole

PASSWORD = "correct horse battery"
START = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A settable UTC clock."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    """The store's clock."""
    return Clock()


@pytest.fixture
def store(engine: Engine, clock: Clock) -> SqlAgentStore:
    """The store under test, on a fake clock."""
    return SqlAgentStore(engine, escalation_tables, clock=clock)


@pytest.mark.anyio
async def test_add_get_list(store: SqlAgentStore, engine: Engine) -> None:
    ana = await store.add(" ana ", PASSWORD, AgentRole.ADMIN, display_name="Ana Pérez")
    assert len(ana.id) == 32
    assert (ana.name, ana.display_name, ana.role) == ("ana", "Ana Pérez", AgentRole.ADMIN)
    assert (ana.created_at, ana.last_seen) == (START, None)
    assert ana.created_at.tzinfo == dt.UTC
    bo = await store.add("bo", PASSWORD, AgentRole.AGENT)
    assert bo.display_name == ""
    assert await store.get(ana.id) == ana
    assert await store.list() == [ana, bo]
    with pytest.raises(AuthError, match="no agent"):
        await store.get("0" * 32)

    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(escalation_tables.agents.c.password_hash).where(
                escalation_tables.agents.c.id == ana.id
            )
        ).scalar_one()
    assert stored.startswith("scrypt$16384$8$1$")
    assert PASSWORD not in stored


@pytest.mark.anyio
async def test_add_refuses_duplicates_and_bad_input(store: SqlAgentStore) -> None:
    await store.add("ana", PASSWORD, AgentRole.AGENT)
    with pytest.raises(DuplicateAgent, match="'ana'"):
        await store.add("ana", "another password", AgentRole.EDITOR)
    with pytest.raises(ValueError, match="at least 8 characters"):
        await store.add("bo", "short", AgentRole.AGENT)
    with pytest.raises(ValueError, match="needs a name"):
        await store.add("  ", PASSWORD, AgentRole.AGENT)
    racing = await asyncio.gather(
        *(store.add("cy", PASSWORD, AgentRole.AGENT) for _ in range(3)), return_exceptions=True
    )
    assert sorted(type(result).__name__ for result in racing) == [
        "Agent",
        "DuplicateAgent",
        "DuplicateAgent",
    ]
    assert [agent.name for agent in await store.list()] == ["ana", "cy"]


@pytest.mark.anyio
async def test_authenticate(store: SqlAgentStore, clock: Clock) -> None:
    ana = await store.add("ana", PASSWORD, AgentRole.AGENT)
    clock.advance(60)
    found = await store.authenticate("ana", PASSWORD)
    assert found.id == ana.id
    assert found.last_seen == START + dt.timedelta(seconds=60)
    for name, password in (("ana", PASSWORD + "!"), ("ana", ""), ("nobody", PASSWORD)):
        with pytest.raises(AuthError, match=r"^wrong name or password$"):
            await store.authenticate(name, password)


@pytest.mark.anyio
async def test_sessions(store: SqlAgentStore, engine: Engine) -> None:
    ana = await store.add("ana", PASSWORD, AgentRole.AGENT)
    token = await store.open_session(ana.id, ttl_s=3600)
    other = await store.open_session(ana.id, ttl_s=3600)
    assert len(token) >= 40 and token != other
    assert (await store.agent_for_session(token)).id == ana.id

    with engine.connect() as conn:
        hashes = set(
            conn.execute(sa.select(escalation_tables.agent_sessions.c.token_hash)).scalars()
        )
    assert hashes == {hashlib.sha256(t.encode()).hexdigest() for t in (token, other)}

    await store.close_session(token)
    with pytest.raises(AuthError, match="unknown or expired session"):
        await store.agent_for_session(token)
    assert (await store.agent_for_session(other)).id == ana.id  # other sessions stay
    await store.close_session(token)  # again: no error
    with pytest.raises(AuthError):
        await store.agent_for_session("not-a-token")
    with pytest.raises(AuthError, match="no agent"):
        await store.open_session("0" * 32, ttl_s=60)
    with pytest.raises(ValueError, match="positive lifetime"):
        await store.open_session(ana.id, ttl_s=0)


@pytest.mark.anyio
async def test_sessions_expire(store: SqlAgentStore, clock: Clock) -> None:
    ana = await store.add("ana", PASSWORD, AgentRole.AGENT)
    token = await store.open_session(ana.id, ttl_s=60)
    clock.advance(59)
    assert (await store.agent_for_session(token)).id == ana.id
    clock.advance(1)
    with pytest.raises(AuthError, match="unknown or expired session"):
        await store.agent_for_session(token)


@pytest.mark.anyio
async def test_last_seen_is_written_at_most_every_10_s(store: SqlAgentStore, clock: Clock) -> None:
    ana = await store.add("ana", PASSWORD, AgentRole.AGENT)
    token = await store.open_session(ana.id, ttl_s=3600)
    assert (await store.agent_for_session(token)).last_seen == START
    clock.advance(9)
    assert (await store.agent_for_session(token)).last_seen == START
    assert (await store.get(ana.id)).last_seen == START
    clock.advance(2)
    assert (await store.agent_for_session(token)).last_seen == START + dt.timedelta(seconds=11)
    assert (await store.get(ana.id)).last_seen == START + dt.timedelta(seconds=11)


@pytest.mark.anyio
async def test_online(store: SqlAgentStore, clock: Clock) -> None:
    ana = await store.add("ana", PASSWORD, AgentRole.AGENT)
    bo = await store.add("bo", PASSWORD, AgentRole.AGENT)
    await store.add("cy", PASSWORD, AgentRole.AGENT)  # never seen
    bo_token = await store.open_session(bo.id, ttl_s=3600)
    ana_token = await store.open_session(ana.id, ttl_s=3600)
    await store.agent_for_session(bo_token, console=True)
    clock.advance(120)
    await store.agent_for_session(ana_token, console=True)
    assert [agent.name for agent in await store.online(60)] == ["ana"]
    assert [agent.name for agent in await store.online(120)] == ["ana", "bo"]
    clock.advance(61)
    assert await store.online(60) == []


@pytest.mark.anyio
async def test_only_the_console_of_accounts_that_take_chats_counts(
    store: SqlAgentStore, clock: Clock
) -> None:
    # Issue 17: an editor saving an article made the customer wait for nobody.
    ed = await store.add("ed", PASSWORD, AgentRole.EDITOR)
    root = await store.add("root", PASSWORD, AgentRole.ADMIN)
    ops = await store.add("ops", PASSWORD, AgentRole.ADMIN, takes_chats=True)
    assert (ed.takes_chats, root.takes_chats, ops.takes_chats) == (False, False, True)
    for staff in (ed, root, ops):  # logged in, then busy in the editor or the admin pages
        assert (await store.authenticate(staff.name, PASSWORD)).last_seen == START
        token = await store.open_session(staff.id, ttl_s=3600)
        await store.agent_for_session(token)
    assert await store.online(60) == []

    for staff in (ed, root):  # even on the agent console, editors and other admins don't count
        await store.agent_for_session(await store.open_session(staff.id, 3600), console=True)
    ops_token = await store.open_session(ops.id, ttl_s=3600)
    await store.agent_for_session(ops_token, console=True)
    await store.add("ana", PASSWORD, AgentRole.AGENT)
    await store.authenticate("ana", PASSWORD)  # an agent's login opens the console
    assert [agent.name for agent in await store.online(60)] == ["ana", "ops"]

    clock.advance(50)  # the editor keeps ops' last_seen fresh, not the console heartbeat
    assert (await store.agent_for_session(ops_token)).last_seen == START + dt.timedelta(seconds=50)
    clock.advance(50)
    assert await store.online(60) == []
    await store.agent_for_session(ops_token, console=True)
    assert [agent.name for agent in await store.online(60)] == ["ops"]

    assert (await store.set_takes_chats(ops.id, False)).takes_chats is False
    assert await store.online(60) == []
    assert (await store.set_takes_chats(root.id, True)) == await store.get(root.id)
    assert (await store.get(root.id)).takes_chats is True
    with pytest.raises(AuthError, match="no agent"):
        await store.set_takes_chats("0" * 32, True)


def test_store_satisfies_the_protocol(engine: Engine) -> None:
    store: AgentStore = SqlAgentStore(engine, escalation_tables)  # checked by mypy
    assert store is not None


# --- passwords ----------------------------------------------------------------------------


def test_password_round_trip() -> None:
    stored = hash_password(PASSWORD)
    scheme, n, r, p, salt, key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt)) == 16
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + " ", stored)
    assert not verify_password("", stored)
    assert hash_password(PASSWORD) != stored  # a fresh salt each time
    unicode_password = "contraseña-ñandú"
    assert verify_password(unicode_password, hash_password(unicode_password))


def test_password_minimum_length() -> None:
    with pytest.raises(ValueError, match="too short: use at least 8 characters"):
        hash_password("7 chars")
    assert verify_password("8 chars!", hash_password("8 chars!"))


def test_verify_uses_the_stored_parameters() -> None:
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**10, r=4, p=2, dklen=32)
    stored = f"scrypt$1024$4$2${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    assert verify_password(PASSWORD, stored)
    assert not verify_password("wrong password", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text-password",
        "bcrypt$2b$12$abc",
        "scrypt$16384$8$1$not base64!$AAAA",
        "scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",  # n is not a power of two
        "scrypt$x$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
        "scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",  # would need 1 TiB
    ],
)
def test_malformed_stored_hashes_never_verify(stored: str) -> None:
    assert not verify_password(PASSWORD, stored)
