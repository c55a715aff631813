"""Offline tiktoken: BPE data comes from the `bpe-openai` package, never from the network.

tiktoken downloads its BPE files on first use. We serve the copies shipped in `bpe-openai`
through tiktoken's own cache (TIKTOKEN_CACHE_DIR), after checking the sha256 that tiktoken
itself expects, so every tiktoken user in the process (ours and LangChain's) stays offline.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path

import tiktoken

from retrieval.errors import RetrievalError
from retrieval.files import move_into_place, temporary_beside

# The URLs and sha256 digests tiktoken_ext.openai_public uses for these encodings.
_BLOBS = {
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}
DEFAULT_ENCODING = "cl100k_base"


def _cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "supportbot-tiktoken"


def install_bpe_cache() -> Path:
    """Place the verified BPE files where tiktoken looks, and point tiktoken there."""
    cache_dir = _cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    data = resources.files("bpe_openai") / "data"
    for name, (url, sha256) in _BLOBS.items():
        target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
            continue
        raw = gzip.decompress((data / f"{name}.tiktoken.gz").read_bytes())
        if hashlib.sha256(raw).hexdigest() != sha256:
            raise RetrievalError(
                f"bpe-openai's {name} data does not match tiktoken's expected sha256; "
                "reinstall bpe-openai"
            )
        _write_atomically(target, raw)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return cache_dir


def _write_atomically(target: Path, raw: bytes) -> None:
    """Write `raw` to `target` through a temporary file of this writer's own."""
    written = temporary_beside(target)
    try:
        written.write_bytes(raw)
        move_into_place(written, target)
    finally:
        written.unlink(missing_ok=True)


@cache
def encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """The named tiktoken encoding, loaded offline."""
    if name not in _BLOBS:
        raise RetrievalError(f"unknown encoding {name!r}; use one of {sorted(_BLOBS)}")
    install_bpe_cache()
    return tiktoken.get_encoding(name)


def count_tokens(text: str) -> int:
    """Number of cl100k tokens in `text`."""
    return len(encoding().encode(text, disallowed_special=()))


def truncate(text: str, max_tokens: int) -> str:
    """`text` cut to at most `max_tokens` cl100k tokens."""
    ids = encoding().encode(text, disallowed_special=())
    return text if len(ids) <= max_tokens else encoding().decode(ids[:max_tokens])
