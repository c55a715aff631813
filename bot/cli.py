"""The `supportbot` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.conversation import Turn
from bot.errors import BotError
from bot.settings import Settings
from escalation.errors import EscalationError
from evals.errors import EvalError
from retrieval.errors import RetrievalError

Handler = Callable[[argparse.Namespace, Settings], int]

if TYPE_CHECKING:
    from bot.editor import EditorService
    from bot.importing import ImportReport
    from bot.wiring import Services


def echo(text: str = "", *, err: bool = False) -> None:
    """Write one line to stdout (or stderr)."""
    (sys.stderr if err else sys.stdout).write(text + "\n")


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    import anyio

    from bot.editor import EditorService
    from bot.storage import open_database
    from bot.wiring import build_knowledge_base

    root = Path(args.path) if args.path else settings.kb_dir
    kb = build_knowledge_base(settings)
    database = open_database(settings.database_url, settings.storage.pool_size)
    editor = EditorService(database.articles, kb, settings.editor)
    try:
        code = _sync_files(editor, root, settings, quiet=args.quiet, rebuild=args.rebuild)
        if args.watch:
            _watch_files(editor, root, settings, quiet=args.quiet)
    finally:
        anyio.run(database.conversations.aclose)
        kb.close()
    return 0 if args.watch else code


def _sync_files(
    editor: EditorService, root: Path, settings: Settings, *, quiet: bool, rebuild: bool = False
) -> int:
    """Sync the files under `root` into the articles and the indexes; print the summary."""
    import anyio
    from tqdm import tqdm

    from retrieval.loader import load_kb

    bar = tqdm(total=0, unit="chunk", desc="Embedding", disable=quiet, leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        articles, problems = load_kb(root, settings.chunking.max_file_bytes)
        report = anyio.run(
            lambda: editor.sync_files(articles, problems, rebuild=rebuild, progress=progress)
        )
    finally:
        bar.close()
    for problem in report.problems:
        echo(f"error: {problem.path}: {problem.reason}", err=True)
    echo(
        f"Ingested {root}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.deleted)} deleted, {report.unchanged} unchanged; "
        f"{report.chunks} chunks ({report.embedded} embedded) in {report.seconds:.1f} s"
    )
    if report.problems:
        echo(f"{len(report.problems)} file(s) could not be ingested (see above).", err=True)
        return 1
    return 0


def _watch_files(editor: EditorService, root: Path, settings: Settings, *, quiet: bool) -> None:
    """Sync again after each burst of changes under `root`, until Ctrl-C."""
    from watchfiles import watch

    echo(f"Watching {root} for changes; press Ctrl-C to stop.")
    for _changes in watch(root, debounce=800, raise_interrupt=False):
        try:
            _sync_files(editor, root, settings, quiet=quiet)
        except (BotError, RetrievalError) as exc:
            echo(f"error: {exc}", err=True)
    echo("Stopped watching.")


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


def _eval_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    from evals.retrieval_eval import METRIC_NAMES, evaluate_retrieval
    from retrieval.factory import build_embedder
    from retrieval.retriever import MODES

    modes = list(MODES) if args.mode == "all" else [args.mode]
    results = evaluate_retrieval(
        Path(args.docs),
        Path(args.questions),
        build_embedder(settings.embedding),
        modes=modes,
        k=args.k,
        chunking=settings.chunking,
        search=settings.search,
    )
    if args.json:
        echo(json.dumps(results))
        return 0
    echo(f"{'mode':<8} " + " ".join(f"{name:>9}" for name in METRIC_NAMES))
    for mode, metrics in results.items():
        echo(f"{mode:<8} " + " ".join(f"{metrics[name]:>9g}" for name in METRIC_NAMES))
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
    from bot.conversation import Channel, Customer
    from bot.wiring import build_services

    services = build_services(settings)
    try:
        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.CLI, locale=""
        )
        async for question in questions:
            await _ask_one(services, conversation.id, question, as_json)
    finally:
        await services.aclose()


async def _ask_one(services: Services, conversation_id: str, question: str, as_json: bool) -> None:
    turn = None
    async for event in services.responder.reply(conversation_id, question):
        if event.type == "token" and not as_json:
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif event.type == "done":
            turn = event.turn
    if turn is None:
        return
    if as_json:
        echo(json.dumps(_turn_json(turn), ensure_ascii=False, indent=2))
        return
    echo()
    for citation in turn.citations:
        echo(f"  [{citation.n}] {citation.title} — {citation.url}")
    echo(f"  (confidence {turn.confidence or 0:.2f}, {turn.kind})")


def _turn_json(turn: Turn) -> dict[str, object]:
    return {
        "answer": turn.text,
        "kind": turn.kind,
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


def _eval_escalation(args: argparse.Namespace, settings: Settings) -> int:
    from evals.escalation_eval import evaluate_escalation
    from retrieval.factory import build_embedder

    metrics, cases = evaluate_escalation(
        Path(args.messages), build_embedder(settings.embedding), settings.escalation
    )
    if args.json:
        echo(json.dumps({k: metrics[k] for k in ("precision", "recall", "f1", "accuracy", "n")}))
        return 0
    for key in ("precision", "recall", "f1", "accuracy", "n"):
        echo(f"{key:<10} {metrics[key]:g}")
    echo(f"confusion  tp={metrics['tp']:g} fp={metrics['fp']:g} fn={metrics['fn']:g} "
         f"tn={metrics['tn']:g}")
    if args.show_errors:
        for case, reasons in cases:
            if case.escalate != bool(reasons):
                label = "missed" if case.escalate else "false alarm"
                echo(f"- {label}: {case.text[:100]!r} {'; '.join(reasons)}")
    return 0


def _eval_answers(args: argparse.Namespace, settings: Settings) -> int:
    from evals.answers_eval import evaluate_answers
    from evals.report import failure_line
    from retrieval.factory import build_embedder

    judge = args.judge and settings.llm.backend == "openai-compatible"
    if args.judge and not judge:
        echo("note: --judge needs llm.backend openai-compatible; judge metrics skipped", err=True)
    report = evaluate_answers(
        settings,
        build_embedder(settings.embedding),
        [Path(q) for q in args.questions],
        docs=Path(args.docs) if args.docs else None,
        kb_dir=Path(args.kb) if args.kb else None,
        judge=judge,
    )
    if args.json:
        echo(json.dumps(report.summary))
        return 0
    for key, value in report.summary.items():
        echo(f"{key:<20} {value:g}")
    if args.show_failures:
        for outcome in report.outcomes:
            if not outcome.correct:
                echo(f"- {outcome.case.id}: {failure_line(outcome)}; "
                     f"cited {', '.join(outcome.cited) or '-'}; "
                     f"retrieved {', '.join(outcome.retrieved) or '-'}")
    return 0


def _eval_all(args: argparse.Namespace, settings: Settings) -> int:
    from evals.report import recommendation
    from evals.run_all import default_out_dir, run_golden, write_all
    from retrieval.factory import build_embedder

    judge = args.judge and settings.llm.backend == "openai-compatible"
    results = run_golden(settings, build_embedder(settings.embedding), judge=judge)
    out = Path(args.out) if args.out else default_out_dir()
    for path in write_all(results, out):
        echo(f"wrote {path}")
    hybrid = results.retrieval["hybrid"]
    echo(f"retrieval hybrid recall@5 {hybrid['recall@5']:g}  mrr@10 {hybrid['mrr@10']:g}")
    for key in ("citation_accuracy", "answer_similarity", "grounded_ratio", "refusal_precision",
                "refusal_recall", "escalation_rate", "p50_ms", "p95_ms"):
        echo(f"answers {key:<18} {results.answers.get(key, float('nan')):g}")
    echo(f"escalation detectors f1 {results.escalation['f1']:g}")
    echo(f"recommended: {recommendation(results)}")
    return 0


def _eval_gate(args: argparse.Namespace, settings: Settings) -> int:
    from evals.gate import DEFAULT_THRESHOLDS, check, load_thresholds
    from evals.report import recommendation
    from evals.run_all import run_golden
    from retrieval.factory import build_embedder

    thresholds = load_thresholds(Path(args.thresholds) if args.thresholds else DEFAULT_THRESHOLDS)
    # The gate measures the embedded stack, whatever LLM or embedding service is configured.
    embedded = settings.model_copy(
        update={"llm": type(settings.llm)(), "embedding": type(settings.embedding)()}
    )
    results = run_golden(
        embedded, build_embedder(embedded.embedding), explain=False, cache_embeddings=True
    )
    metrics = results.metrics()
    violations = check(metrics, thresholds)
    for name in [*thresholds.floors, *thresholds.ceilings]:
        if name in metrics:
            echo(f"{name:<45} {metrics[name]:g}")
    echo(f"({results.seconds:g} s; {recommendation(results)})")
    if violations:
        echo(f"quality gate FAILED: {len(violations)} metric(s) out of bounds", err=True)
        for violation in violations:
            echo(f"  - {violation}", err=True)
        return 1
    echo("quality gate passed")
    return 0


def _agents(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    import anyio

    from bot.storage import open_database
    from escalation.types import AgentRole

    agents = open_database(settings.database_url).agents
    if args.agents_command == "list":
        for agent in anyio.run(agents.list):
            seen = agent.last_seen.isoformat(timespec="seconds") if agent.last_seen else "never"
            echo(f"{agent.name:<20} {agent.role.value:<7} last seen {seen}")
        return 0
    password = sys.stdin.readline().strip() if args.password_stdin else getpass.getpass(
        f"Password for {args.name}: "
    )
    try:
        agent = anyio.run(agents.add, args.name, password, AgentRole(args.role), args.display_name)
    except ValueError as exc:  # the password rules
        echo(f"error: {exc}", err=True)
        return 2
    echo(f"Added {agent.role.value} {agent.name} ({agent.id})")
    return 0


SPARK = " ▁▂▃▄▅▆▇█"
REASON_LETTERS = {"low_confidence": "L", "refused": "R", "thumbs_down": "D", "escalated": "E"}


def sparkline(counts: Sequence[int], width: int = 30) -> str:
    """Counts as block characters, summed into at most `width` equal buckets (oldest first)."""
    size = max(1, -(-len(counts) // width))
    buckets = [sum(counts[i : i + size]) for i in range(0, len(counts), size)]
    top = max(buckets, default=0)
    return "".join(SPARK[-(-n * (len(SPARK) - 1) // top)] if top else SPARK[0] for n in buckets)


def _gaps(args: argparse.Namespace, settings: Settings) -> int:
    import anyio
    from tqdm import tqdm

    from bot.gaps import ContentGaps
    from bot.storage import open_database
    from retrieval.factory import build_embedder

    database = open_database(settings.database_url)
    gaps = ContentGaps(
        database.gaps,
        build_embedder(settings.embedding),
        settings.editor,
        settings.escalation.low_confidence,
    )
    if args.gaps_command == "cover":
        article = anyio.run(database.articles.get, args.article_id)
        link = gaps.cover(args.key, article, "cli", days=args.since)
        echo(f"{link.key} ({link.label!r}) is now covered by {link.article_id}")
        return 0
    bar = tqdm(total=0, unit="question", desc="Embedding", disable=args.json, leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        groups = gaps.groups(args.since, progress=progress)[: args.limit]
    finally:
        bar.close()
    if args.json:
        echo(json.dumps({"groups": [g.as_json() for g in groups]}, ensure_ascii=False, indent=2))
        return 0
    if not groups:
        echo(f"No content gaps in the last {args.since} days.")
        return 0
    echo(f"{'key':<12}  {'count':>5}  {'trend':<30}  {'reasons':<15}  {'top article tried':<24}  "
         "question (most central)")
    for group in groups:
        reasons = " ".join(
            f"{REASON_LETTERS[reason.value]}{n}" for reason, n in group.reasons.items() if n
        )
        tried = group.articles_tried[0] if group.articles_tried else None
        top = f"{tried.article_id} ({tried.count})" if tried else "-"
        label = group.label if len(group.label) <= 60 else group.label[:59] + "…"
        covered = f"  [covered by {group.covered_by}]" if group.covered_by else ""
        trend = sparkline([n for _, n in group.trend])
        echo(f"{group.key:<12}  {group.count:>5}  {trend:<30}  {reasons:<15}  {top[:24]:<24}  "
             f"{label}{covered}")
    echo("reasons: L low confidence, R refused, D thumbs down, E escalated; trend oldest first. "
         "Mark one covered: supportbot gaps cover KEY ARTICLE_ID")
    return 0

def _articles(args: argparse.Namespace, settings: Settings) -> int:
    import anyio

    from bot.article_io import (
        ImportLimits,
        export_jsonl,
        export_path,
        parse_path,
        to_markdown,
    )
    from bot.importing import export_articles, import_batch
    from bot.storage import open_database
    from bot.wiring import build_services

    if args.articles_command == "export":
        store = open_database(settings.database_url).articles
        articles = anyio.run(export_articles, store, args.status)
        if args.jsonl:
            Path(args.jsonl).write_text(export_jsonl(articles), encoding="utf-8")
            echo(f"Exported {len(articles)} article(s) to {args.jsonl}")
            return 0
        for article in articles:
            target = Path(args.dir) / export_path(article)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(to_markdown(article), encoding="utf-8")
        echo(f"Exported {len(articles)} article(s) to {args.dir}")
        return 0

    batch = parse_path(Path(args.path), ImportLimits.of(settings))

    async def run() -> ImportReport:
        services = build_services(settings)
        try:
            return await import_batch(
                services.editor, batch, author=args.author, publish=args.publish
            )
        finally:
            await services.aclose()  # waits for the publishes' indexing

    report = anyio.run(run)
    for problem in report.problems:
        echo(f"error: {problem.path}: {problem.reason}", err=True)
    echo(
        f"Imported {args.path}: {len(report.imported)} new, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged" + ("; published" if args.publish else " (drafts)")
    )
    if report.problems:
        echo(f"{len(report.problems)} file(s) were not imported (see above).", err=True)
        return 1
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

    ingest = sub.add_parser(
        "ingest",
        help="index help-center articles (incremental)",
        description="Sync the articles and the search indexes with a folder of files: a changed "
        "file becomes a new published version (author kb_content), a removed file's article is "
        "unpublished, and only changed text is embedded. Exits 1 if a file could not be read.",
    )
    ingest.add_argument("path", nargs="?", help="KB folder or file (default: settings kb_dir)")
    ingest.add_argument("--rebuild", action="store_true", help="drop the indexes and re-embed all")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.add_argument(
        "--watch", action="store_true", help="keep running: sync again whenever a file changes"
    )
    ingest.set_defaults(handler=_ingest)

    search = sub.add_parser("search", help="search the indexed KB", description="Hybrid search.")
    search.add_argument("text", help="what to search for")
    search.add_argument("-k", type=int, default=5, help="number of articles (default 5)")
    search.add_argument("--locale", help="only articles in this locale, e.g. en or es")
    search.add_argument("--category", help="only articles in this category")
    search.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(handler=_search)

    evaluate = sub.add_parser("eval", help="measure retrieval, answers, escalation; the gate")
    eval_sub = evaluate.add_subparsers(dest="eval_command", required=True, metavar="WHAT")
    retrieval = eval_sub.add_parser(
        "retrieval",
        help="recall/MRR/nDCG of document ranking",
        description="Index DOCS in a throwaway folder and rank them for each question.",
    )
    retrieval.add_argument("--docs", required=True, help='JSONL rows {"id","title","text","url"?}')
    retrieval.add_argument(
        "--questions", required=True, help='JSONL rows {"id","question","gold_doc_ids",...}'
    )
    retrieval.add_argument(
        "--mode", choices=["hybrid", "dense", "lexical", "all"], default="hybrid"
    )
    retrieval.add_argument("--k", type=int, default=10, help="articles ranked per question")
    retrieval.add_argument("--json", action="store_true", help="print one JSON object by mode")
    retrieval.set_defaults(handler=_eval_retrieval)
    escalation = eval_sub.add_parser(
        "escalation",
        help="precision/recall of the escalation detectors",
        description="Run the message-level detectors (emotion, explicit request, sensitive "
        "topic) on each text as the first message of a conversation.",
    )
    escalation.add_argument("--messages", required=True, help='JSONL rows {"text","escalate"}')
    escalation.add_argument("--json", action="store_true", help="print one JSON object")
    escalation.add_argument("--show-errors", action="store_true", help="list misclassified texts")
    escalation.set_defaults(handler=_eval_escalation)
    answers = eval_sub.add_parser(
        "answers",
        help="citations, similarity, grounding, refusals, escalations of the full responder",
        description="Index DOCS (or a KB folder) in a throwaway folder and run each question "
        "through the configured responder in a fresh conversation.",
    )
    source = answers.add_mutually_exclusive_group(required=True)
    source.add_argument("--docs", help='JSONL rows {"id","title","text","url"?}')
    source.add_argument("--kb", help="a KB folder instead of --docs, e.g. kb_content")
    answers.add_argument(
        "--questions",
        required=True,
        action="append",
        help='JSONL rows {"id","question","gold_doc_ids"?,"answer"?,"answerable"?,"history"?}; '
        "repeat for several files",
    )
    answers.add_argument("--judge", action="store_true", help="LLM judge (openai-compatible)")
    answers.add_argument("--json", action="store_true", help="print one JSON object")
    answers.add_argument("--show-failures", action="store_true", help="list failing cases")
    answers.set_defaults(handler=_eval_answers)
    everything = eval_sub.add_parser(
        "all",
        help="every golden-set eval, with a Markdown/HTML report",
        description="Retrieval, answers and escalation on kb_content and evals/datasets; "
        "writes report.md, report.html and results.json.",
    )
    everything.add_argument("--out", help="report folder (default reports/<timestamp>)")
    everything.add_argument("--judge", action="store_true", help="LLM judge (openai-compatible)")
    everything.set_defaults(handler=_eval_all)
    gate = eval_sub.add_parser(
        "gate",
        help="fail (exit 1) when a golden-set metric is below its committed floor",
        description="Run the golden-set evals on the embedded stack and compare them with "
        "the thresholds file.",
    )
    gate.add_argument(
        "--thresholds", help="TOML file of [floors]/[ceilings] (default evals/thresholds.toml)"
    )
    gate.set_defaults(handler=_eval_gate)

    agents = sub.add_parser("agents", help="manage agent accounts")
    agents_sub = agents.add_subparsers(dest="agents_command", required=True, metavar="ACTION")
    add = agents_sub.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("name", help="login name")
    add.add_argument("--role", choices=["agent", "editor", "admin"], default="agent")
    add.add_argument("--display-name", default="", help="name shown to customers")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(handler=_agents)
    agents_sub.add_parser("list", help="every account").set_defaults(handler=_agents)

    gaps = sub.add_parser(
        "gaps",
        help="content gaps: questions answered badly, grouped by meaning",
        description="Group the questions the bot refused, answered with low confidence, got a "
        "thumbs-down for, or escalated, by meaning (embedding clustering): count, reasons, "
        "articles tried, daily trend.",
    )
    gaps.add_argument(
        "--since", type=int, default=30, metavar="DAYS", help="UTC days back (default 30)"
    )
    gaps.add_argument("--json", action="store_true", help="print JSON (the API's shape)")
    gaps.add_argument("--limit", type=int, default=20, metavar="N", help="groups shown (20)")
    gaps.set_defaults(handler=_gaps, gaps_command=None)
    gaps_sub = gaps.add_subparsers(dest="gaps_command", metavar="ACTION")
    cover = gaps_sub.add_parser(
        "cover",
        help="mark a group covered by an article",
        description="Link the group KEY (from `supportbot gaps`) to an article; questions "
        "of the same meaning asked later stay covered.",
    )
    cover.add_argument("key", help="the group's key, as listed")
    cover.add_argument("article_id", help="the article that answers these questions")
    cover.add_argument(
        "--since", type=int, default=30, metavar="DAYS", help="the window KEY was listed in"
    )

    articles = sub.add_parser("articles", help="import or export help-center articles")
    articles_sub = articles.add_subparsers(
        dest="articles_command", required=True, metavar="ACTION"
    )
    exporter = articles_sub.add_parser(
        "export",
        help="write articles as markdown files (or JSONL)",
        description="Write every article as <category>/<id>.md with front matter (the "
        "kb_content format), or one JSONL file; both can be imported again.",
    )
    target = exporter.add_mutually_exclusive_group(required=True)
    target.add_argument("dir", nargs="?", help="folder for the markdown files")
    target.add_argument("--jsonl", metavar="FILE", help="one JSONL file instead")
    exporter.add_argument(
        "--status",
        choices=["published", "all"],
        default="published",
        help="published: the live versions (default); all: the newest version of every article",
    )
    exporter.set_defaults(handler=_articles)
    importer = articles_sub.add_parser(
        "import",
        help="create or update articles from a folder, .zip, .jsonl or file",
        description="New ids become drafts, known ids get a new version. Unsafe HTML is "
        "removed. A file with a problem is not imported at all; exit status 1 then.",
    )
    importer.add_argument("path", help="folder, .zip, .jsonl, .md, .html or .txt")
    importer.add_argument("--publish", action="store_true", help="publish what was imported")
    importer.add_argument("--author", default="cli", help="name in the version history")
    importer.set_defaults(handler=_articles)

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
