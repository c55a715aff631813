"""Agent endpoints: login, queue, ticket context, claim, reply, notes, transfer, resolve, merge."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    Header,
    Path,
    Query,
    Request,
    Response,
    WebSocket,
    WebSocketDisconnect,
)

from bot.api.deps import (
    AGENT_ROLES,
    AdminDep,
    AgentDep,
    ServicesDep,
    StaffDep,
    client_ip,
    limit_ip,
    staff_for_token,
)
from bot.api.downloads import download
from bot.api.errors import close_live
from bot.api.schemas.agent import (
    AgentOut,
    HandBackIn,
    LoginIn,
    LoginOut,
    MergeIn,
    NoteOut,
    ReplyIn,
    TakesChatsIn,
    TextIn,
    TicketDetailOut,
    TicketOut,
    TransferIn,
    WebhookDeliveryOut,
)
from bot.api.schemas.chat import MAX_INT
from bot.api.socket_auth import FORBIDDEN, UNAUTHENTICATED, reject, socket_token
from bot.conversations.events import (
    QUEUE_CHANNEL,
    TurnOut,
    conversation_channel,
)
from bot.errors import BotError, Forbidden
from bot.handoff.staff import Account
from bot.wiring import Services
from escalation.errors import AuthError

router = APIRouter(prefix="/api/agent", tags=["agents"], dependencies=[Depends(limit_ip)])
ws_router = APIRouter(tags=["agents"])


@router.post("/login", response_model=LoginOut)
async def login(body: LoginIn, request: Request, services: ServicesDep) -> LoginOut:
    """Exchange a name and password for a session token; 429 after too many wrong passwords."""
    session = await services.staff.log_in(body.name, body.password, client_ip(request))
    return LoginOut.model_validate(session)


@router.post("/logout", status_code=204)
async def logout(
    services: ServicesDep, agent: StaffDep, authorization: Annotated[str, Header()]
) -> Response:
    """End this session."""
    await services.staff.log_out(authorization[7:].strip(), agent)
    return Response(status_code=204)


@router.get("/me", response_model=AgentOut)
async def me(agent: StaffDep) -> AgentOut:
    """The logged-in agent."""
    return AgentOut.model_validate(Account.of(agent, online=True))


@router.get("/agents", response_model=list[AgentOut])
async def agents(services: ServicesDep, agent: AgentDep) -> list[AgentOut]:
    """Every agent, with who is online (for transfers)."""
    return [AgentOut.model_validate(a) for a in await services.staff.accounts()]


@router.get("/tickets", response_model=list[TicketOut])
async def tickets(
    services: ServicesDep,
    agent: AgentDep,
    status: Annotated[
        str, Query(pattern="^(open|claimed|mine|resolved|returned|cancelled|active)$")
    ] = "active",
    priority: Annotated[str | None, Query(pattern="^(urgent|high|normal)$")] = None,
) -> list[TicketOut]:
    """The queue: urgent first, then longest waiting. `mine` = claimed by me."""
    return [TicketOut.of(t) for t in await services.tickets.tickets(agent, status, priority)]


@router.get("/tickets/{ticket_id}", response_model=TicketDetailOut)
async def ticket_detail(
    ticket_id: str, request: Request, services: ServicesDep, agent: AgentDep
) -> TicketDetailOut:
    """The ticket with its context, the live transcript, the conversations merged into it, other
    tickets possibly of the same customer, notes, suggested articles and replies."""
    return TicketDetailOut.of(await services.tickets.detail(ticket_id, str(request.base_url)))


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def attachment(
    ticket_id: str,
    attachment_id: Annotated[int, Path(ge=1, le=MAX_INT)],
    services: ServicesDep,
    agent: AgentDep,
) -> Response:
    """Download an attachment of the ticket's email (always as a file to save, never shown);
    404 for an id not in this ticket's conversation, or whose content was not kept."""
    found, content = await services.tickets.attachment(ticket_id, attachment_id)
    return download(content, found.filename)


@router.post("/tickets/{ticket_id}/claim", response_model=TicketOut)
async def claim(ticket_id: str, services: ServicesDep, agent: AgentDep) -> TicketOut:
    """Take the chat; exactly one of several agents claiming at once wins (others get 409)."""
    return TicketOut.of(await services.desk.claim(ticket_id, agent))


@router.post("/tickets/{ticket_id}/messages", response_model=TurnOut)
async def reply(ticket_id: str, body: ReplyIn, services: ServicesDep, agent: AgentDep) -> TurnOut:
    """Reply to the customer; delivered live to their widget (409 unless you hold the chat).

    Resending with the same `client_id` returns the stored reply instead of a second one. The
    reply is stored even when the live delivery fails (the widget re-reads the history).
    """
    turn = await services.desk.reply(ticket_id, agent, body.text.strip(), body.client_id)
    return TurnOut.model_validate(turn)


@router.post("/tickets/{ticket_id}/notes", response_model=NoteOut)
async def add_note(ticket_id: str, body: TextIn, services: ServicesDep, agent: AgentDep) -> NoteOut:
    """An internal note (never shown to the customer)."""
    return NoteOut.model_validate(
        await services.escalator.queue.add_note(ticket_id, agent.id, body.text)
    )


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketOut)
async def transfer(
    ticket_id: str, body: TransferIn, services: ServicesDep, agent: AgentDep
) -> TicketOut:
    """Give the chat to another agent, or put it back in the queue."""
    return TicketOut.of(await services.desk.transfer(ticket_id, agent, body.agent_id))


@router.post("/tickets/{ticket_id}/resolve", response_model=TicketOut)
async def resolve(ticket_id: str, services: ServicesDep, agent: AgentDep) -> TicketOut:
    """Close the chat as resolved (the widget asks for CSAT)."""
    return TicketOut.of(await services.desk.resolve(ticket_id, agent))


@router.post("/tickets/{ticket_id}/return", response_model=TicketOut)
async def hand_back(
    ticket_id: str, services: ServicesDep, agent: AgentDep, body: HandBackIn | None = None
) -> TicketOut:
    """Hand the chat back to the bot; an optional `note` tells the bot what was agreed (the bot
    may quote it to the customer; internal notes go to `/notes`)."""
    note = body.note.strip() if body is not None else ""
    return TicketOut.of(await services.desk.hand_back(ticket_id, agent, note))


@router.post("/tickets/{ticket_id}/merge", response_model=TicketOut)
async def merge(ticket_id: str, body: MergeIn, services: ServicesDep, agent: AgentDep) -> TicketOut:
    """Merge this ticket into `into`, a ticket possibly of the same customer: this one closes,
    its chat is listed (and follows) there; replies go to `into`'s chat. 409 unless both are
    open or claimed, share a customer record or email, and this one is open or yours."""
    return TicketOut.of(await services.desk.merge(ticket_id, body.into, agent))


@router.get("/webhooks", response_model=list[WebhookDeliveryOut])
async def webhook_deliveries(services: ServicesDep, admin: AdminDep) -> list[WebhookDeliveryOut]:
    """Recent webhook deliveries with status and last error (admins)."""
    recent = await services.database.webhooks.recent()
    return [WebhookDeliveryOut.model_validate(d) for d in recent]


@router.get("/staff", response_model=list[AgentOut])
async def staff(services: ServicesDep, admin: AdminDep) -> list[AgentOut]:
    """Every account with who takes chats and who is online (admins)."""
    return [AgentOut.model_validate(a) for a in await services.staff.accounts()]


@router.put("/staff/{agent_id}/takes-chats", response_model=AgentOut)
async def set_takes_chats(
    agent_id: str, body: TakesChatsIn, services: ServicesDep, admin: AdminDep
) -> AgentOut:
    """Let an admin account answer chats, or stop (agents always do, editors never)."""
    return AgentOut.model_validate(await services.staff.set_takes_chats(agent_id, body.takes_chats))


@ws_router.websocket("/ws/agent")
async def agent_events(websocket: WebSocket) -> None:
    """Queue changes, plus every event of the conversations the agent watches.

    Send `{"type": "auth", "token": "<session token>"}` first (closes with 4401 without a
    valid session); `{"type": "ready"}` comes back once the queue is followed (load the queue
    then: a ticket created before it is not sent). Then `{"type": "watch", "conversation_id":
    "..."}` follows a conversation.
    `{"type": "ping"}` is the console's heartbeat (answered with a pong, or 4401 once the
    session has ended).
    """
    services: Services = websocket.app.state.services
    token = await socket_token(websocket, services.settings.api.ws_auth_timeout_s)
    if token is None:
        return
    try:
        await staff_for_token(services, token, AGENT_ROLES, console=True)
    except (AuthError, Forbidden) as exc:
        code = UNAUTHENTICATED if isinstance(exc, AuthError) else FORBIDDEN
        await reject(websocket, code, str(exc))
        return
    tasks = [asyncio.create_task(_follow(websocket, services, QUEUE_CHANNEL, None))]
    try:
        while True:
            data = await websocket.receive_json()
            if isinstance(data, dict) and data.get("type") == "watch":
                conversation_id = str(data.get("conversation_id", ""))
                tasks.append(
                    asyncio.create_task(
                        _follow(
                            websocket,
                            services,
                            conversation_channel(conversation_id),
                            conversation_id,
                        )
                    )
                )
            elif isinstance(data, dict) and data.get("type") == "ping":
                # The console's heartbeat: it keeps the agent online for handoffs (issue 17),
                # and stops when the session ends.
                try:
                    await services.escalator.agents.agent_for_session(token, console=True)
                except AuthError as exc:
                    await reject(websocket, UNAUTHENTICATED, str(exc))
                    return
                await websocket.send_json({"type": "pong"})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in tasks:
            task.cancel()


async def _follow(
    websocket: WebSocket, services: Services, channel: str, conversation_id: str | None
) -> None:
    try:
        async with services.broadcaster.subscribe(channel) as events:
            if conversation_id is None:  # the queue: the console is live from here
                await websocket.send_json({"type": "ready"})
            async for event in events:
                await websocket.send_json(
                    {**event, "conversation_id": conversation_id} if conversation_id else event
                )
    except BotError as exc:  # the live channel broke: the console reconnects and reloads
        await close_live(websocket, exc)
