"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.api.deps import MetricsDep, ServicesDep
from bot.api.errors import error_body
from bot.errors import BotError
from retrieval.errors import RetrievalError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request, services: ServicesDep) -> dict[str, object] | Response:
    """Database reachable and the knowledge base indexed (503 otherwise).

    Redis down is "degraded", still 200: stored reads and writes work, rate limits count per
    worker and live events wait (issue 15); `degraded` says what and why.
    """
    try:
        await services.store.ping()
        chunks = await anyio.to_thread.run_sync(services.kb.vectors.count)
    except (BotError, RetrievalError) as exc:
        return error_body("not_ready", str(exc), 503)
    if chunks == 0:
        return error_body("not_ready", "the knowledge base is empty; run: supportbot ingest", 503)
    degraded = []
    for check in (services.broadcaster.ping, services.ip_limiter.ping):
        try:
            await check()
        except BotError as exc:
            degraded.append(str(exc))
    ready: dict[str, object] = {
        "status": "degraded" if degraded else "ready",
        "chunks": chunks,
        # Seconds from the process loading supportbot to serving (models loaded, store open).
        "ready_after_s": getattr(request.app.state, "ready_after_s", None),
    }
    settings = services.settings
    if "redis" in (settings.realtime.backend, settings.api.rate_limit_backend):
        ready["redis"] = "unreachable" if degraded else "ok"
    if degraded:
        ready["degraded"] = degraded
    return ready


@router.get("/metrics")
async def metrics(metrics: MetricsDep, services: ServicesDep) -> Response:
    """Prometheus text format (service levels from the analytics, cached a few seconds)."""
    await metrics.refresh_quality(lambda days: services.reports.analytics(days).summary())
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
