"""The `supportbot` commands about content: ingest, gaps, articles import/export."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from bot.cli.output import echo
from bot.errors import BotError
from bot.settings import Settings
from retrieval.errors import RetrievalError

if TYPE_CHECKING:
    from bot.helpcenter.editor import EditorService
    from bot.helpcenter.importing import ImportReport
    from bot.helpcenter.interfaces import ArticleStore
    from retrieval.knowledge_base import KnowledgeBase


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    import anyio

    from bot.db.database import open_database
    from bot.helpcenter.editor import EditorService
    from bot.wiring import build_knowledge_base, export_emotion_scorer
    from retrieval.factory import onnx_models_dir

    root = Path(args.path) if args.path else settings.kb_dir
    kb = build_knowledge_base(settings)
    database = open_database(settings.database_url, settings.storage.pool_size)
    editor = EditorService(database.articles, kb, settings.editor)
    try:
        code = _sync_files(editor, root, settings, quiet=args.quiet, rebuild=args.rebuild)
        _warm_answers(kb, database.articles, settings, quiet=args.quiet)
        # The server's other model is exported now, so `serve` starts in seconds (issue 18).
        export_emotion_scorer(onnx_models_dir(settings.embedding, settings.data_dir))
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


def _warm_answers(
    kb: KnowledgeBase, articles: ArticleStore, settings: Settings, *, quiet: bool
) -> None:
    """Encode the published articles' sentences that answers compare, once (issue 18)."""
    import anyio
    from tqdm import tqdm

    from bot.answering.answer_vectors import warm_answer_vectors
    from bot.helpcenter.editor import retrieval_article
    from retrieval.cached_embedder import CachedEmbedder
    from retrieval.chunking import Chunker

    if not isinstance(kb.embedder, CachedEmbedder):
        return
    published = [retrieval_article(v) for v in anyio.run(articles.published_versions)]
    bar = tqdm(total=0, unit="sentence", desc="Preparing answers", disable=quiet, leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        encoded = warm_answer_vectors(
            kb.embedder,
            published,
            Chunker(settings.chunking),
            grounding=settings.llm.backend != "extractive",
            company=settings.answer.company_name,
            progress=progress,
        )
    finally:
        bar.close()
    if encoded:
        echo(f"Prepared answers: {encoded:,} new sentences encoded.")


def _watch_files(editor: EditorService, root: Path, settings: Settings, *, quiet: bool) -> None:
    """Sync again after each burst of changes under `root`, until Ctrl-C.

    Ctrl-C is one handler for the whole watch: it asks the watcher to stop (within half a
    second), and a sync under way finishes first (its writes are never left half done); a
    second Ctrl-C abandons it.
    """
    from watchfiles import watch

    with _ctrl_c_stops() as ctrl_c:
        watching = False
        # yield_on_timeout: an empty first batch says the watcher runs; announce it only then,
        # so a change made right after the announcement is never missed.
        for changes in watch(
            root,
            debounce=800,
            raise_interrupt=False,
            yield_on_timeout=True,
            rust_timeout=500,
            stop_event=ctrl_c.stop,
        ):
            if ctrl_c.stop.is_set():
                break
            if not watching:
                echo(f"Watching {root} for changes; press Ctrl-C to stop.")
                watching = True
            if not changes:
                continue
            ctrl_c.syncing = True
            echo(f"Syncing after {len(changes)} change(s)...")
            try:
                _sync_files(editor, root, settings, quiet=quiet)
            except (BotError, RetrievalError) as exc:
                echo(f"error: {exc}", err=True)
            finally:
                ctrl_c.syncing = False
            if ctrl_c.stop.is_set():
                break
    echo("Stopped watching.")


@dataclass
class _CtrlC:
    """What a Ctrl-C during `ingest --watch` sets, and whether a sync is under way."""

    stop: threading.Event = field(default_factory=threading.Event)
    syncing: bool = False


@contextlib.contextmanager
def _ctrl_c_stops() -> Iterator[_CtrlC]:
    """Within the block a first Ctrl-C sets `stop` (announced if a sync is under way) instead
    of raising; a second one raises KeyboardInterrupt."""
    state = _CtrlC()

    def on_ctrl_c(signum: int, frame: FrameType | None) -> None:
        if state.stop.is_set():
            raise KeyboardInterrupt
        state.stop.set()
        if state.syncing:  # a raw write: the interrupted code may be inside a print
            os.write(2, b"Stopping after the current sync (Ctrl-C again to abandon it)...\n")

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


SPARK = " ▁▂▃▄▅▆▇█"
REASON_LETTERS = {
    "low_confidence": "L",
    "refused": "R",
    "thumbs_down": "D",
    "escalated": "E",
    "repeat": "A",
    "rephrase": "W",
    "complaint": "C",
    "person_after_answer": "P",
}


def sparkline(counts: Sequence[int], width: int = 30) -> str:
    """Counts as block characters, summed into at most `width` equal buckets (oldest first)."""
    size = max(1, -(-len(counts) // width))
    buckets = [sum(counts[i : i + size]) for i in range(0, len(counts), size)]
    top = max(buckets, default=0)
    return "".join(SPARK[-(-n * (len(SPARK) - 1) // top)] if top else SPARK[0] for n in buckets)


def _gaps(args: argparse.Namespace, settings: Settings) -> int:
    import anyio
    from tqdm import tqdm

    from bot.db.database import open_database
    from bot.helpcenter.gaps import ContentGaps
    from bot.reporting.resolution import Rules
    from retrieval.factory import build_embedder

    database = open_database(settings.database_url)
    gaps = ContentGaps(
        database.gaps,
        build_embedder(settings.embedding, settings.data_dir),
        settings.editor,
        Rules.of(settings),
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
    echo(
        f"{'key':<12}  {'count':>5}  {'trend':<30}  {'reasons':<15}  {'top article tried':<24}  "
        "question (most central)"
    )
    for group in groups:
        reasons = " ".join(
            f"{REASON_LETTERS[reason.value]}{n}" for reason, n in group.reasons.items() if n
        )
        tried = group.articles_tried[0] if group.articles_tried else None
        top = f"{tried.article_id} ({tried.count})" if tried else "-"
        label = group.label if len(group.label) <= 60 else group.label[:59] + "…"
        covered = f"  [covered by {group.covered_by}]" if group.covered_by else ""
        trend = sparkline([n for _, n in group.trend])
        echo(
            f"{group.key:<12}  {group.count:>5}  {trend:<30}  {reasons:<15}  {top[:24]:<24}  "
            f"{label}{covered}"
        )
    echo(
        "reasons: L low confidence, R refused, D thumbs down, E escalated, A asked again, "
        "W asked in other words, C complained, P asked for a person after the answer; "
        "trend oldest first. Mark one covered: supportbot gaps cover KEY ARTICLE_ID"
    )
    return 0


def _articles(args: argparse.Namespace, settings: Settings) -> int:
    import anyio

    from bot.db.database import open_database
    from bot.helpcenter.article_io import (
        ImportLimits,
        export_jsonl,
        export_path,
        parse_path,
        to_markdown,
    )
    from bot.helpcenter.importing import export_articles, import_batch
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


def add_ingest_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `ingest`."""
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


def add_gaps_and_articles_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add `gaps` and `articles import|export`."""
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
    articles_sub = articles.add_subparsers(dest="articles_command", required=True, metavar="ACTION")
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
