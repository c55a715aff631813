"""`supportbot announce`: post, list and end announcements; readable errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, object]]:
    assert main(["announce", *argv, "--json"]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def test_announce_list_and_end(capsys: pytest.CaptureFixture[str]) -> None:
    [posted] = run_json(
        capsys,
        "Payments fail at checkout.",
        "--title",
        "Checkout outage",
        "--until",
        "2099-05-03T18:00Z",
        "--locale",
        "en",
        "--page",
        "/checkout*",
        "--plan",
        "pro",
    )
    assert posted["title"] == "Checkout outage" and posted["state"] == "active"
    assert posted["until"] == "2099-05-03T18:00:00+00:00"
    assert (posted["locale"], posted["page"], posted["plan"]) == ("en", "/checkout*", "pro")
    [later] = run_json(
        capsys, "Read-only on Sunday.", "--kind", "maintenance", "--starts", "2099-01-01"
    )
    assert later["state"] == "scheduled" and later["title"] == "Read-only on Sunday."

    assert [row["id"] for row in run_json(capsys, "--list")] == [posted["id"], later["id"]]
    assert main(["announce", "--list"]) == 0
    table = capsys.readouterr().out
    assert f"{posted['id']}  [active] notice: Checkout outage" in table
    assert "locale en, page /checkout*, plan pro" in table
    assert "[scheduled] maintenance" in table

    [ended] = run_json(capsys, "--end", str(posted["id"]))
    assert ended["state"] == "ended"
    assert [row["id"] for row in run_json(capsys, "--list")] == [later["id"]]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["Outage", "--until", "tomorrow"], "--until 'tomorrow' is not an ISO 8601 date"),
        (["Outage", "--until", "2000-01-01"], "must be after the start"),
        (["--end", "nope"], "no announcement 'nope'"),
        ([], "give the text to announce, --list, --end ID or --demo"),
        (["Outage", "--list"], "--list, --end and --demo take no text"),
    ],
)
def test_readable_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    assert main(["announce", *argv]) == 2
    assert message in capsys.readouterr().err


def test_help_explains_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["announce", "--help"])
    out = capsys.readouterr().out
    for option in ("--title", "--until", "--locale", "--page", "--plan", "--list", "--end"):
        assert option in out


def test_the_demo_announcement_is_one_row_however_often_it_is_posted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    [first] = run_json(capsys, "--demo")
    [again] = run_json(capsys, "--demo")
    assert again["id"] == first["id"] and first["state"] == "active"
    assert first["title"] == "Tracking updates are delayed"
    assert [row["id"] for row in run_json(capsys, "--list")] == [first["id"]]
    assert main(["announce", "--demo", "text"]) == 2
