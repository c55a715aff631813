"""Analytics for admins: `GET /api/analytics` (JSON), `/api/analytics.csv`, and `/admin`.

The API needs an admin's session token (401 without one, 403 for other roles). The page is
public HTML; its script logs in through the agent login API and draws the charts as SVG.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.api.deps import ServicesDep, admin_role, limit_ip
from bot.api.routes.console import staff_page
from bot.reporting.analytics import Analytics
from bot.wiring import Services

router = APIRouter(tags=["analytics"])
ADMIN_ONLY = [Depends(limit_ip), Depends(admin_role)]
Days = Annotated[int, Query(ge=1, le=366, description="UTC days back, today included")]


async def _analytics(services: Services, days: int) -> Analytics:
    return await anyio.to_thread.run_sync(services.reports.analytics, days)


@router.get("/api/analytics", dependencies=ADMIN_ONLY)
async def analytics(services: ServicesDep, days: Days = 30) -> dict[str, Any]:
    """Conversations, bot-resolved and escalation rates, replies, feedback, CSAT, top lists."""
    return (await _analytics(services, days)).as_json()


@router.get(
    "/api/analytics.csv",
    dependencies=ADMIN_ONLY,
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def analytics_csv(services: ServicesDep, days: Days = 30) -> Response:
    """The daily table as CSV."""
    body = (await _analytics(services, days)).daily_csv()
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="supportbot-{days}d.csv"'},
    )


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
async def admin_page(request: Request) -> HTMLResponse:
    """The admin dashboard (log in as an admin; charts drawn in the browser as SVG)."""
    return staff_page(request, "admin.html", "admin/main.js", "admin.css")
