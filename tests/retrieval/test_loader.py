"""Loading sources: every format, and every kind of bad file reported with path and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.errors import ArticleFormatError
from retrieval.loader import load_kb
from tests.conftest import KB_FIXTURE

MAX = 100_000


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_fixture_kb_loads_with_front_matter() -> None:
    articles, problems = load_kb(KB_FIXTURE, MAX)
    assert problems == []
    by_id = {a.id: a for a in articles}
    assert len(by_id) == 8
    reset = by_id["reset-password"]
    assert reset.title == "Reset your password"
    assert reset.category == "account-login"
    assert reset.tags == ("password",)
    assert reset.updated == "2026-01-10"
    assert reset.url.endswith("/reset-password")
    assert by_id["restablecer-contrasena"].locale == "es"
    assert not reset.body.startswith("---")


def test_text_html_and_jsonl_sources(tmp_path: Path) -> None:
    write(tmp_path / "gift-cards.txt", "Gift cards\nGift cards never expire.")
    write(
        tmp_path / "app.html",
        "<html><head><title>Using the app</title><script>alert(1)</script></head>"
        "<body><h1>Using the app</h1><h2>Install</h2><p>Get it from the store.</p>"
        "<ul><li>iOS 16+</li></ul></body></html>",
    )
    write(
        tmp_path / "bulk.jsonl",
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "faq-1", "title": "Hours", "text": "We are open 9-5.", "url": "https://x/1"},
                {"id": "faq-2", "title": "Phone", "text": "Call 1-800-555-0142."},
            ]
        ),
    )
    articles, problems = load_kb(tmp_path, MAX)
    assert problems == []
    by_id = {a.id: a for a in articles}
    assert by_id["gift-cards"].title == "Gift cards"
    html = by_id["app"]
    assert html.title == "Using the app"
    assert "## Install" in html.body and "- iOS 16+" in html.body
    assert "alert" not in html.body
    assert by_id["faq-1"].url == "https://x/1"
    assert by_id["faq-2"].body == "Call 1-800-555-0142."


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken-yaml.md", "---\ntitle: [unclosed\n---\nbody", "front matter is not valid YAML"),
        ("no-title.md", "---\nid: no-title\n---\nbody", "no 'title'"),
        ("no-front-matter.md", "just text", "no front matter"),
        ("empty.md", "", "file is empty"),
        ("blank.md", "   \n\n", "only whitespace"),
        ("binary.md", b"\x89PNG\x00\x00\x01", "binary file"),
        ("latin1.md", "---\ntitle: caf\xe9\n---\nx".encode("latin-1"), "not valid UTF-8"),
        ("bad-id.md", "---\nid: Not A Slug!\ntitle: T\n---\nbody", "is not a slug"),
        ("no-body.md", "---\ntitle: T\n---\n", "no body text"),
        ("notes.docx", b"PK\x03\x04", "unsupported file type"),
    ],
)
def test_bad_file_is_reported_and_the_rest_still_loads(
    tmp_path: Path, name: str, content: str | bytes, reason: str
) -> None:
    write(tmp_path / "good.md", "---\ntitle: Good\n---\nFine article.")
    bad = write(tmp_path / name, content)
    articles, problems = load_kb(tmp_path, MAX)
    assert [a.id for a in articles] == ["good"]
    assert len(problems) == 1
    assert problems[0].path == str(bad)
    assert reason in problems[0].reason


def test_huge_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "huge.md", "---\ntitle: Huge\n---\n" + "word " * 50_000)
    articles, problems = load_kb(tmp_path, MAX)
    assert articles == []
    assert "over the 100,000-byte limit" in problems[0].reason


def test_duplicate_ids_keep_the_first_and_name_both_files(tmp_path: Path) -> None:
    first = write(tmp_path / "a.md", "---\nid: same\ntitle: A\n---\nA body")
    second = write(tmp_path / "b.md", "---\nid: same\ntitle: B\n---\nB body")
    articles, problems = load_kb(tmp_path, MAX)
    assert [a.title for a in articles] == ["A"]
    assert problems[0].path == str(second)
    assert "duplicate id 'same'" in problems[0].reason and str(first) in problems[0].reason


def test_readme_and_assets_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "README.md", "# How to write articles")
    write(tmp_path / "img" / "logo.png", b"\x89PNG\x00")
    write(tmp_path / "a.md", "---\ntitle: A\n---\nbody")
    articles, problems = load_kb(tmp_path, MAX)
    assert [a.id for a in articles] == ["a"] and problems == []


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArticleFormatError, match="no such file or folder"):
        load_kb(tmp_path / "nope", MAX)
