"""Ingestion and search work with networking unavailable (a fresh network namespace)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import KB_FIXTURE
from tests.waiting import WAIT_S


def test_ingest_and_search_without_network(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "--net", "true"]).returncode != 0:
        pytest.fail("needs `unshare --net` (util-linux, root) to cut the network off")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SUPPORTBOT_", "HF_", "TRANSFORMERS_", "TIKTOKEN_"))
    }
    env |= {
        "SUPPORTBOT_DATA_DIR": str(tmp_path / "data"),
        "HOME": str(tmp_path),  # no model or tokenizer caches from earlier runs
        "TMPDIR": str(tmp_path),
    }
    cli = [unshare, "--net", sys.executable, "-m", "bot"]
    ingest = subprocess.run(
        [*cli, "ingest", str(KB_FIXTURE), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert ingest.returncode == 0, ingest.stderr
    assert "8 added" in ingest.stdout
    search = subprocess.run(
        [*cli, "search", "reset link expired", "--json", "-k", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)[0]["article_id"] == "reset-password"
