"""Import direction: retrieval and escalation are leaves, evals sits on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

FORBIDDEN = {
    "retrieval": {"bot", "escalation", "evals"},
    "escalation": {"bot", "retrieval", "evals"},
    "bot": {"evals"},
}
VENDORS = {
    "chromadb",
    "sentence_transformers",
    "openai",
    "psycopg",
    "redis",
    "langchain_core",
    "langchain_text_splitters",
    "llama_cpp",
}
VENDOR_OK = ("backends/", "retrieval/chunking.py")
# The console script (bot/cli/main.py, and bot/cli/eval.py for `supportbot eval`) is the one
# entry point above everything.
ENTRY_POINTS = {"bot/cli/main.py", "bot/cli/eval.py"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_direction(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if imports(path) & FORBIDDEN[package] and str(path.relative_to(ROOT)) not in ENTRY_POINTS
    }
    assert offenders == {}


def test_vendor_sdks_stay_in_backends() -> None:
    offenders = {
        rel: sorted(imports(path) & VENDORS)
        for package in ("retrieval", "bot", "escalation", "evals")
        for path in (ROOT / package).rglob("*.py")
        if (rel := str(path.relative_to(ROOT)))
        and not any(ok in rel for ok in VENDOR_OK)
        and imports(path) & VENDORS
    }
    assert offenders == {}


def test_public_names_are_pinned() -> None:
    import bot
    import retrieval

    assert bot.__all__ == [
        "AnswerKind",
        "Answerer",
        "BotError",
        "Channel",
        "ChatModel",
        "Citation",
        "ConfigError",
        "Conversation",
        "ConversationStore",
        "Customer",
        "Forbidden",
        "InvalidInput",
        "LLMError",
        "Mode",
        "NotFound",
        "Role",
        "Settings",
        "Turn",
        "TurnKind",
    ]
    assert retrieval.__all__ == [
        "Article",
        "ArticleFormatError",
        "BackendUnavailable",
        "Chunk",
        "ChunkingConfig",
        "Embedder",
        "EmbeddingConfig",
        "EmbeddingModelMismatch",
        "IngestReport",
        "KeywordConfig",
        "KeywordIndex",
        "KnowledgeBase",
        "Problem",
        "RetrievalError",
        "ScoredChunk",
        "SearchConfig",
        "SearchResult",
        "VectorConfig",
        "VectorStore",
    ]
    for package in (bot, retrieval):
        assert all(hasattr(package, name) for name in package.__all__)


def test_the_import_contract_lists_every_core_module() -> None:
    """pyproject's import-linter contract names bot's core modules (and CLI modules) one by
    one: a new module must join it, or nothing would stop it importing the API."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(
        c for c in config["contracts"] if c["name"].startswith("bot's core imports neither")
    )
    listed = set(contract["source_modules"])
    assert {"bot.api", "bot.cli"} == set(contract["forbidden_modules"])
    core = {
        f"bot.{path.stem}" for path in (ROOT / "bot").glob("*.py") if not path.stem.startswith("__")
    } | {
        f"bot.{path.name}"
        for path in (ROOT / "bot").iterdir()
        if path.is_dir() and (path / "__init__.py").is_file() and path.name not in {"api", "cli"}
    }
    assert core == listed
