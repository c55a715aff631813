"""The `supportbot` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.cli.analytics import add_analytics_command
from bot.cli.announce import add_announce_command
from bot.cli.content import add_gaps_and_articles_commands, add_ingest_command
from bot.cli.eval import add_eval_commands
from bot.cli.mail import add_mail_command
from bot.cli.output import configure_logging, echo
from bot.conversations.models import Turn
from bot.errors import BotError
from bot.settings import Settings
from escalation.errors import EscalationError
from evals.errors import EvalError
from retrieval.errors import RetrievalError

Handler = Callable[[argparse.Namespace, Settings], int]

if TYPE_CHECKING:
    from bot.wiring import Services


def _search(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import build_knowledge_base

    kb = build_knowledge_base(settings)
    try:
        results = kb.search(
            args.text, args.k, locale=args.locale, category=args.category, mode=args.mode
        )
    finally:
        kb.close()
    rows = [
        {
            "rank": rank,
            "article_id": r.article_id,
            "title": r.title,
            "section": r.best.section,
            "url": r.url,
            "score": round(r.relevance, 3),
            "snippet": r.best.text[:160],
        }
        for rank, r in enumerate(results, start=1)
    ]
    if args.json:
        echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        echo("No matching articles. Has the KB been ingested? Try: supportbot ingest")
    else:
        for row in rows:
            section = f" › {row['section']}" if row["section"] else ""
            head = f"{row['rank']:>2}. [{row['score']:.3f}] {row['title']}{section}"
            echo(f"{head}  ({row['article_id']})")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    host = args.host or settings.api.host
    port = args.port or settings.api.port
    if args.workers > 1:
        broken, weaker = settings.per_process_backends()
        for reason in weaker:
            echo(f"warning: with --workers {args.workers}, {reason}", err=True)
        if broken:
            for reason in broken:
                echo(f"error: with --workers {args.workers}, {reason}", err=True)
            echo("Run one worker, or configure the shared backends (README: Scale-out).", err=True)
            return 2
    echo(f"supportbot on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "bot.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level="info",
        proxy_headers=True,
    )
    return 0


async def _conversation(settings: Settings, questions: AsyncIterator[str], as_json: bool) -> None:
    from bot.conversations.models import Channel
    from bot.conversations.service import NewConversation
    from bot.wiring import build_services

    services = build_services(settings)
    try:
        started = await services.conversations.start(NewConversation(channel=Channel.CLI))
        async for question in questions:
            await _ask_one(services, started.id, question, as_json)
    finally:
        await services.aclose()


async def _ask_one(services: Services, conversation_id: str, question: str, as_json: bool) -> None:
    from bot.conversations.events import Token, TurnEvent
    from bot.conversations.replies import outcomes

    turn = None
    # The person at the terminal runs the server: no rate limit for them.
    queue = await services.replies.start(conversation_id, question, rate_limited=False)
    async for outcome in outcomes(queue):
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, Token) and not as_json:
            sys.stdout.write(outcome.text)
            sys.stdout.flush()
        elif isinstance(outcome, TurnEvent) and outcome.type == "reply":
            turn = outcome.turn
    if turn is None:
        return
    if as_json:
        echo(json.dumps(_turn_json(turn), ensure_ascii=False, indent=2))
        return
    echo()
    for citation in turn.citations:
        echo(f"  [{citation.n}] {citation.title}" + (f" — {citation.url}" if citation.url else ""))
    echo(f"  (confidence {turn.confidence or 0:.2f}, {turn.kind.value})")


def _turn_json(turn: Turn) -> dict[str, object]:
    return {
        "answer": turn.text,
        "kind": turn.kind.value,
        "confidence": turn.confidence,
        "citations": [
            {"n": c.n, "article_id": c.article_id, "title": c.title, "url": c.url}
            for c in turn.citations
        ],
    }


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    import anyio

    async def one() -> AsyncIterator[str]:
        yield args.question

    anyio.run(_conversation, settings, one(), args.json)
    return 0


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    import anyio

    async def typed() -> AsyncIterator[str]:
        echo("Chat with supportbot; follow-up questions are understood. Empty line quits.")
        while True:
            try:
                line = (await anyio.to_thread.run_sync(input, "you> ")).strip()
            except EOFError:
                return
            if not line:
                return
            sys.stdout.write("bot> ")
            yield line

    anyio.run(_conversation, settings, typed(), False)
    return 0


def _agents(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    import anyio

    from bot.db.database import open_database
    from escalation.types import AgentRole

    agents = open_database(settings.database_url).agents
    if args.agents_command == "list":
        for agent in anyio.run(agents.list):
            seen = agent.last_seen.isoformat(timespec="seconds") if agent.last_seen else "never"
            chats = " (takes chats)" if agent.takes_chats else ""
            echo(f"{agent.name:<20} {agent.role.value:<7} last seen {seen}{chats}")
        return 0
    if args.agents_command == "chats":
        named = [a for a in anyio.run(agents.list) if a.name == args.name]
        if not named or named[0].role is not AgentRole.ADMIN:
            echo(f"error: no admin named {args.name!r} (agents always take chats)", err=True)
            return 2
        anyio.run(agents.set_takes_chats, named[0].id, args.state == "on")
        echo(f"{args.name} {'takes' if args.state == 'on' else 'does not take'} chats")
        return 0
    if args.takes_chats and args.role != "admin":
        echo("error: --takes-chats is for admins (agents always take chats)", err=True)
        return 2
    password = (
        sys.stdin.readline().strip()
        if args.password_stdin
        else getpass.getpass(f"Password for {args.name}: ")
    )
    add = functools.partial(
        agents.add,
        args.name,
        password,
        AgentRole(args.role),
        args.display_name,
        takes_chats=args.takes_chats,
    )
    try:
        agent = anyio.run(add)
    except ValueError as exc:  # the password rules
        echo(f"error: {exc}", err=True)
        return 2
    echo(f"Added {agent.role.value} {agent.name} ({agent.id})")
    return 0


def _check_config(args: argparse.Namespace, settings: Settings) -> int:
    if args.env_example:
        from bot.settings import env_example

        sys.stdout.write(env_example())
        return 0
    echo(json.dumps(settings.model_dump(mode="json"), indent=2))
    echo(f"database: {settings.database_url.split('@')[-1]}  (secrets are masked)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="supportbot",
        description="Self-hostable support chatbot: cited answers from your help center.",
        epilog="Settings come from SUPPORTBOT_* environment variables or a .env file.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_ingest_command(sub)

    search = sub.add_parser("search", help="search the indexed KB", description="Hybrid search.")
    search.add_argument("text", help="what to search for")
    search.add_argument("-k", type=int, default=5, help="number of articles (default 5)")
    search.add_argument("--locale", help="only articles in this locale, e.g. en or es")
    search.add_argument("--category", help="only articles in this category")
    search.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(handler=_search)

    add_eval_commands(sub)

    agents = sub.add_parser("agents", help="manage agent accounts")
    agents_sub = agents.add_subparsers(dest="agents_command", required=True, metavar="ACTION")
    add = agents_sub.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("name", help="login name")
    add.add_argument("--role", choices=["agent", "editor", "admin"], default="agent")
    add.add_argument("--display-name", default="", help="name shown to customers")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--takes-chats", action="store_true", help="an admin who also answers chats")
    add.set_defaults(handler=_agents)
    agents_sub.add_parser("list", help="every account").set_defaults(handler=_agents)
    chats = agents_sub.add_parser("chats", help="opt an admin in to (or out of) answering chats")
    chats.add_argument("name", help="the admin's login name")
    chats.add_argument("state", choices=["on", "off"])
    chats.set_defaults(handler=_agents)

    add_gaps_and_articles_commands(sub)
    add_analytics_command(sub)
    add_announce_command(sub)
    add_mail_command(sub)

    serve = sub.add_parser(
        "serve",
        help="run the HTTP API (and widget, docs at /docs)",
        description="Serve the chat API with uvicorn. Run `supportbot ingest` first.",
    )
    serve.add_argument("--host", help="bind address (default: settings api.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: settings api.port, 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(handler=_serve)

    ask = sub.add_parser("ask", help="ask one question", description="Answer one question.")
    ask.add_argument("question", help="the customer's question")
    ask.add_argument("--json", action="store_true", help="print answer, citations, confidence")
    ask.set_defaults(handler=_ask)

    chat = sub.add_parser(
        "chat", help="interactive chat in the terminal", description="Chat with follow-ups."
    )
    chat.set_defaults(handler=_chat)

    check = sub.add_parser(
        "check-config",
        help="print the effective settings (secrets masked)",
        description="Validate SUPPORTBOT_* settings and print them; exits 2 when invalid.",
    )
    check.add_argument("--env-example", action="store_true", help="print .env.example")
    check.set_defaults(handler=_check_config)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        settings = Settings()
    except ValidationError as exc:
        echo(f"error: invalid settings:\n{exc}", err=True)
        return 2
    handler: Handler = args.handler
    try:
        return handler(args, settings)
    except (RetrievalError, EvalError, BotError, EscalationError) as exc:
        echo(f"error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        echo("interrupted", err=True)
        return 130
