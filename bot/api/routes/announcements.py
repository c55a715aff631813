"""Announcements (issue 21): admins post and end them, agents read the active ones beside the
queue, the widget fetches the ones for its page as a banner, and a status page's signed
incident updates create, change and end them (`bot/helpcenter/status_page.py` has the shape)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import AdminDep, AgentDep, ServicesDep, limit_ip
from bot.helpcenter.announcements import (
    MAX_PATTERN_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    Audience,
    Kind,
    new_announcement,
    parse_time,
)
from bot.helpcenter.status_page import SIGNATURE_HEADER

router = APIRouter(tags=["announcements"], dependencies=[Depends(limit_ip)])


class AnnouncementIn(BaseModel):
    """A new announcement; times are ISO 8601 (UTC when they carry no offset)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT_CHARS, description="Plain text or simple markdown")
    title: str = Field(default="", max_length=MAX_TITLE_CHARS, description="Default: 1st line")
    kind: Kind = "notice"
    locale: str = Field(default="", max_length=35, description="Only this language; ''=all")
    page: str = Field(
        default="",
        max_length=MAX_PATTERN_CHARS,
        description="Only pages matching this glob (/path/* or a whole URL); '' = every page",
    )
    plan: str = Field(default="", max_length=64, description="Only verified customers on it")
    starts_at: str = Field(default="", description="Default: now")
    until: str = Field(default="", description="Default: until ended")


@router.post("/api/announcements", status_code=201)
async def post_announcement(
    body: AnnouncementIn, services: ServicesDep, admin: AdminDep
) -> dict[str, Any]:
    """Post an announcement (admins)."""
    announcement = new_announcement(
        title=body.title,
        text=body.text,
        kind=body.kind,
        locale=body.locale,
        page_pattern=body.page,
        plan=body.plan,
        starts_at=parse_time(body.starts_at, "starts_at") if body.starts_at else None,
        ends_at=parse_time(body.until, "until") if body.until else None,
        created_by=admin.name,
    )
    await anyio.to_thread.run_sync(services.announcements.post, announcement)
    return announcement.as_json(_now())


@router.get("/api/announcements")
async def list_announcements(services: ServicesDep, _: AdminDep) -> list[dict[str, Any]]:
    """Active and scheduled announcements, by start (admins)."""
    return await _current(services)


@router.post("/api/announcements/{announcement_id}/end")
async def end_announcement(
    announcement_id: str, services: ServicesDep, _: AdminDep
) -> dict[str, Any]:
    """End an announcement now (admins); 404 for an unknown id."""
    ended = await anyio.to_thread.run_sync(services.announcements.end, announcement_id)
    return ended.as_json(_now())


@router.get("/api/agent/announcements")
async def agent_announcements(services: ServicesDep, _: AgentDep) -> list[dict[str, Any]]:
    """Active and scheduled announcements, for the agent console beside the queue."""
    return await _current(services)


@router.get("/api/announcements/active")
async def active_announcements(
    services: ServicesDep,
    locale: Annotated[str, Query(max_length=35)] = "",
    page: Annotated[str, Query(max_length=2000)] = "",
) -> list[dict[str, Any]]:
    """The active announcements for a visitor of `page` in `locale` (the widget's banner).

    Public, so only announcements for everyone on any plan: plan-restricted ones need a
    verified customer (issue 21, identity verification fills `Audience.plan`).
    """
    audience = Audience(locale=locale, page_url=page, plan=None)
    found = await anyio.to_thread.run_sync(services.announcements.active_for, audience)
    return [
        {"id": a.id, "kind": a.kind, "title": a.title, "text": a.text, "status": a.status}
        for a in found
    ]


@router.post(
    "/api/announcements/webhook",
    responses={
        403: {"description": f"Missing or wrong {SIGNATURE_HEADER} signature."},
        404: {"description": "No webhook secret is configured: the webhook is off."},
    },
)
async def status_page_webhook(
    request: Request,
    services: ServicesDep,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
) -> dict[str, Any]:
    """An incident update from a status page, signed with HMAC-SHA256 over the raw body."""
    body = await request.body()
    announcement = await anyio.to_thread.run_sync(
        services.announcements.apply_signed, body, signature
    )
    if announcement is None:
        return {"announcement": None}
    return {"announcement": announcement.as_json(_now())}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _current(services: ServicesDep) -> list[dict[str, Any]]:
    now = _now()
    found = await anyio.to_thread.run_sync(services.announcements.current, now)
    return [a.as_json(now) for a in found]
