"""`supportbot ingest --watch` as a real process: a changed folder is synced again."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Empty, Queue

from tests.conftest import KB_FIXTURE
from tests.scaleout.servers import child_env
from tests.waiting import WAIT_S

NEW_ARTICLE = """---
id: kayak-rental
title: Renting a kayak
category: services
---
Brightcart rents inflatable kayaks by the week; the deposit is 80 euros.
"""


def _lines(stream: object, into: Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line.rstrip("\n"))


def _env(tmp_path: Path) -> dict[str, str]:
    return child_env(
        {
            "SUPPORTBOT_DATA_DIR": str(tmp_path / "data"),
            "PYTHONUNBUFFERED": "1",
            "OMP_NUM_THREADS": "1",
        }
    )


def _start_watching(
    kb: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[str], Queue[str], list[str]]:
    command = [sys.executable, "-m", "bot", "ingest", str(kb), "--watch", "--quiet"]
    process = subprocess.Popen(
        command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    lines: Queue[str] = Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    return process, lines, []


def _wait_for(lines: Queue[str], text: str, seen: list[str], timeout_s: float = WAIT_S) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except Empty:
            continue
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"no line with {text!r} in {timeout_s} s; got: {seen}")


def test_watch_resyncs_on_change_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(KB_FIXTURE, kb)
    env = _env(tmp_path)
    process, lines, seen = _start_watching(kb, env)
    try:
        _wait_for(lines, "Watching", seen)
        (kb / "kayak-rental.md").write_text(NEW_ARTICLE)
        assert "1 added" in _wait_for(lines, "Ingested", seen)
        assert "kayak-rental" in found(env, "kayak deposit")
        (kb / "kayak-rental.md").unlink()
        assert "1 deleted" in _wait_for(lines, "Ingested", seen)
        process.send_signal(signal.SIGINT)
        _wait_for(lines, "Stopped watching.", seen)
        assert process.wait(timeout=WAIT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert "kayak-rental" not in found(env, "kayak deposit")


def test_ctrl_c_during_a_sync_finishes_it_and_stops_cleanly(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(KB_FIXTURE, kb)
    env = _env(tmp_path)
    process, lines, seen = _start_watching(kb, env)
    try:
        _wait_for(lines, "Watching", seen)
        batch = tmp_path / "batch"
        batch.mkdir()
        for n in range(30):  # enough embedding work that the signal lands inside the sync
            body = NEW_ARTICLE.replace("kayak-rental", f"kayak-{n}") + f"\nModel {n}.\n" * 10
            (batch / f"kayak-{n}.md").write_text(body)
        batch.rename(kb / "batch")
        _wait_for(lines, "Syncing", seen)
        process.send_signal(signal.SIGINT)
        _wait_for(lines, "Stopping after the current sync", seen)
        assert "30 added" in _wait_for(lines, "Ingested", seen)
        _wait_for(lines, "Stopped watching.", seen)
        assert process.wait(timeout=WAIT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not [line for line in seen if "interrupted" in line or "Traceback" in line]
    assert "kayak-7" in found(env, "kayak deposit model 7")


def found(env: dict[str, str], query: str) -> list[str]:
    """Article ids `supportbot search` finds, from a separate process."""
    search = subprocess.run(
        [sys.executable, "-m", "bot", "search", query, "--json", "-k", "3"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [row["article_id"] for row in json.loads(search.stdout)]
