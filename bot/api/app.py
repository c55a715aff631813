"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware

from bot.api import errors
from bot.api.body_limit import BodyLimit
from bot.api.log_redaction import install_log_redaction
from bot.api.metrics import Metrics
from bot.api.plain_text import PlainTextBodies
from bot.api.routes import (
    agent,
    analytics,
    announcements,
    chat,
    console,
    editor,
    editor_io,
    editor_page,
    editor_try,
    gaps,
    health,
    help_center,
    help_portal,
    page_help,
    surveys,
    widget,
)
from bot.conversations.channels.email.factory import run_mail
from bot.runtime.startup import seconds_since_loading
from bot.settings import Settings
from bot.wiring import Services, build_services


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The app; builds (and later closes) its services unless they are given."""
    settings = settings or (services.settings if services else Settings())
    install_log_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or build_services(settings)
        # Work a stopped worker left unfinished, in the background: the server answers now.
        await app.state.services.editor.resume_indexing()
        await app.state.services.escalator.webhooks.resume()
        app.state.ready_after_s = seconds_since_loading()
        recovery = asyncio.create_task(
            app.state.services.replies.answer_unanswered(on_answer=app.state.metrics.record_answer)
        )
        background: list[asyncio.Task[object]] = [recovery]
        if app.state.services.settings.mail.enabled:  # the email channel's poller (issue 20)
            background.append(asyncio.create_task(run_mail(app.state.services)))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            if owned:
                await app.state.services.aclose()

    app = FastAPI(
        title="supportbot",
        version="0.1.0",
        description="Customer-support chatbot API: cited answers from the help center.",
        lifespan=lifespan,
    )
    app.state.metrics = Metrics()
    errors.install(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.api.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
    )
    # An article body may hold max_article_chars characters, each up to 6 bytes as JSON.
    editor_limit = max(settings.api.max_body_bytes, 6 * settings.editor.max_article_chars + 65_536)

    def body_limit(path: str) -> int:
        if path == editor_io.IMPORT_PATH:  # multipart: the file plus form overhead
            return settings.editor.max_import_bytes + 65_536
        return editor_limit if path.startswith("/api/editor/") else settings.api.max_body_bytes

    app.add_middleware(PlainTextBodies)  # inside BodyLimit, which bounds what it reads
    # Inside the timing middleware: its task group would wrap our 413 in an ExceptionGroup.
    app.add_middleware(BodyLimit, limit_for=body_limit)

    @app.middleware("http")
    async def timed(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        app.state.metrics.latency.labels(request.method, path, response.status_code).observe(
            time.perf_counter() - started
        )
        return response

    app.include_router(chat.router)
    app.include_router(chat.ws_router)
    app.include_router(surveys.router)
    app.include_router(announcements.router)
    app.include_router(page_help.router)
    app.include_router(agent.router)
    app.include_router(agent.ws_router)
    app.include_router(health.router)
    app.include_router(widget.router)
    app.include_router(console.router)
    app.include_router(analytics.router)
    app.include_router(gaps.router)
    app.include_router(editor.router)
    app.include_router(editor_try.router)
    app.include_router(editor_io.router)
    app.include_router(editor_page.router)
    app.include_router(help_portal.router)  # before /help/{article_id}: its paths win
    app.include_router(help_center.router)
    return app
