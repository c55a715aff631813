"""tiktoken runs offline from bpe-openai's data, verified against tiktoken's own hashes."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from retrieval import tokens


def test_encodings_load_from_the_bundled_files() -> None:
    cache = tokens.install_bpe_cache()
    for url, sha256 in tokens._BLOBS.values():
        blob = cache / hashlib.sha1(url.encode()).hexdigest()
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha256
    assert tokens.encoding("cl100k_base").encode("hello world") == [15339, 1917]
    assert tokens.encoding("o200k_base").encode("hello world") == [24912, 2375]


def test_count_and_truncate() -> None:
    assert tokens.count_tokens("") == 0
    assert tokens.count_tokens("The reset link is valid for 30 minutes.") == 10
    assert tokens.truncate("one two three four", 2) == "one two"
    assert tokens.truncate("short", 10) == "short"


def test_a_corrupted_cache_file_is_replaced(tmp_path: Path) -> None:
    cache = tokens.install_bpe_cache()
    url, sha256 = tokens._BLOBS["cl100k_base"]
    blob = cache / hashlib.sha1(url.encode()).hexdigest()
    blob.write_bytes(b"garbage")
    tokens.install_bpe_cache()
    assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha256


def test_processes_starting_together_share_one_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers of one server (or an eval beside a server) fill an empty cache at once: none
    may fail on another's half-written file."""
    monkeypatch.setattr(tokens, "_cache_dir", lambda: tmp_path / "cache")
    start = threading.Barrier(8)

    def install() -> Path:
        start.wait()
        return tokens.install_bpe_cache()

    with ThreadPoolExecutor(8) as pool:
        caches = list(pool.map(lambda _: install(), range(8)))
    assert set(caches) == {tmp_path / "cache"}
    for url, sha256 in tokens._BLOBS.values():
        blob = tmp_path / "cache" / hashlib.sha1(url.encode()).hexdigest()
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha256
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(
        hashlib.sha1(url.encode()).hexdigest() for url, _ in tokens._BLOBS.values()
    )
