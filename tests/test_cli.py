"""The supportbot command line: help, ingest summary and exit codes, search, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import KB_FIXTURE


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("ingest", "search", "eval"):
        assert command in out


def test_ingest_reports_bad_files_and_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(tmp_path / "data"))
    kb = tmp_path / "kb"
    kb.mkdir()
    for name in ("reset-password.md", "return-policy.md"):
        (kb / name).write_text((KB_FIXTURE / name).read_text())
    (kb / "broken.md").write_text("---\ntitle: 'unterminated\n---\nx")
    assert main(["ingest", str(kb), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "2 added" in captured.out
    assert f"{kb / 'broken.md'}: front matter is not valid YAML" in captured.err

    assert main(["search", "how long is the reset link valid", "--json", "-k", "1"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["article_id"] == "reset-password" and 0 <= rows[0]["score"] <= 1


def test_missing_kb_folder_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["ingest", str(tmp_path / "missing"), "--quiet"]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_invalid_setting_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPORTBOT_CHUNKING__CHUNK_TOKENS", "lots")
    assert main(["search", "x"]) == 2
    assert "chunk_tokens" in capsys.readouterr().err


def test_several_workers_need_shared_live_events(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "error: with --workers 2, live events stay in one worker" in err
    assert "SUPPORTBOT_REALTIME__BACKEND=redis" in err
    assert "warning: with --workers 2, rate limits count per worker" in err


def test_admins_opt_in_to_taking_chats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n" * 2))
    assert main(["agents", "add", "root", "--role", "admin", "--password-stdin"]) == 0
    assert main(["agents", "add", "ed", "--role", "editor", "--takes-chats"]) == 2
    assert "--takes-chats is for admins" in capsys.readouterr().err
    assert (
        main(["agents", "add", "ops", "--role", "admin", "--takes-chats", "--password-stdin"]) == 0
    )
    assert main(["agents", "chats", "root", "on"]) == 0
    assert main(["agents", "chats", "ops", "off"]) == 0
    assert main(["agents", "chats", "nobody", "on"]) == 2
    assert "no admin named 'nobody'" in capsys.readouterr().err
    assert main(["agents", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed if "(takes chats)" in line] == ["root"]
