"""The ONNX Runtime backends: real export, real sessions, compared with the torch backend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.settings import Settings
from bot.wiring import build_detectors
from retrieval.backends.onnx_embedder import INT8_SUFFIX, OnnxEmbedder
from retrieval.backends.st_embedder import (
    BUNDLED_MODEL_ID,
    SentenceTransformerEmbedder,
    bundled_model_dir,
)
from retrieval.config import EmbeddingConfig
from retrieval.factory import build_embedder
from retrieval.interfaces import Embedder
from tests.conftest import ROOT
from tests.waiting import WAIT_S

TEXTS = [
    "How do I reset my password?",
    "the link in the email says expired, what now",
    "Refunds go back to the original card within 5 to 10 business days. " * 40,  # > 256 tokens
    "¿Dónde está mi pedido?",
]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return build_embedder(EmbeddingConfig(backend="torch"))


@pytest.fixture(scope="module")
def fp32_embedder(embedder_data_dir: Path) -> Embedder:
    return build_embedder(EmbeddingConfig(backend="onnx"), embedder_data_dir)


def test_onnx_backend_has_the_torch_vectors(
    fp32_embedder: Embedder, torch_embedder: Embedder
) -> None:
    assert isinstance(fp32_embedder, OnnxEmbedder)
    assert isinstance(torch_embedder, SentenceTransformerEmbedder)
    assert fp32_embedder.model_id == torch_embedder.model_id == BUNDLED_MODEL_ID
    assert fp32_embedder.dimension == torch_embedder.dimension == 384
    ours, theirs = fp32_embedder.embed_documents(TEXTS), torch_embedder.embed_documents(TEXTS)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 1 - 1e-4
    query = fp32_embedder.embed_query(TEXTS[1])
    assert query.shape == (384,) and float(query @ theirs[1]) > 1 - 1e-4


def test_rows_follow_the_input_order_whatever_the_batching(fp32_embedder: Embedder) -> None:
    # Batches (16 texts) are cut from the texts sorted by token count; each row is its text's.
    texts = [f"{text} (case {i})" for i in range(6) for text in TEXTS]
    alone = np.stack([fp32_embedder.embed_documents([t])[0] for t in texts])
    assert np.allclose(fp32_embedder.embed_documents(texts), alone, atol=1e-5)


def test_default_backend_is_int8_close_to_torch_with_its_own_model_id(
    embedder: Embedder, torch_embedder: Embedder
) -> None:
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.model_id == BUNDLED_MODEL_ID + INT8_SUFFIX
    ours, theirs = embedder.embed_documents(TEXTS), torch_embedder.embed_documents(TEXTS)
    # A scale per output channel keeps it close (one scale per matrix gave 0.93 at worst).
    assert (ours * theirs).sum(axis=1).min() > 0.97
    # Each text runs alone, on one thread, the texts of a call shared among the cores: its
    # vector does not depend on the texts embedded with it.
    alone = np.stack([embedder.embed_query(text) for text in TEXTS])
    assert np.allclose(ours, alone, atol=1e-6)
    assert embedder._session.get_session_options().intra_op_num_threads == 1
    # The detectors (the emotion scorer reads the text itself) still load with it.
    detectors = build_detectors(Settings().escalation, embedder)
    assert detectors.emotion_model is not None


def test_setting_selects_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTBOT_EMBEDDING__BACKEND", "onnx")
    assert Settings().embedding.backend == "onnx"
    monkeypatch.setenv("SUPPORTBOT_EMBEDDING__BACKEND", "torch")
    assert Settings().embedding.backend == "torch"
    monkeypatch.delenv("SUPPORTBOT_EMBEDDING__BACKEND")
    assert Settings().embedding.backend == "onnx-int8"


def test_a_corrupt_or_missing_export_is_rebuilt(
    embedder: Embedder, embedder_data_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "models"
    cache.mkdir()
    # The embedder's own export (the folder also keeps our adapted models' exports).
    for source in (embedder_data_dir / "models").glob(f"{bundled_model_dir().name}-*-fp32.onnx"):
        (cache / source.name).write_bytes(b"not an onnx model")
    assert len(list(cache.iterdir())) == 1
    rebuilt = OnnxEmbedder(cache)
    assert rebuilt.embed_query("hello").shape == (384,)
    exported = next(cache.glob("*-fp32.onnx"))
    assert exported.stat().st_size > 50_000_000
    exported.unlink()
    assert OnnxEmbedder(cache).dimension == 384
    assert exported.is_file()
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == []  # no temp files left
    # Rebuilt or not, idle inference threads sleep rather than spin on shared cores.
    options = rebuilt._session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_two_workers_exporting_at_once_both_start(tmp_path: Path) -> None:
    """... and say what they export as the console's progress (logging set up as the CLI's)."""
    script = (
        "from bot.cli.output import configure_logging; configure_logging(); "
        "import sys; from pathlib import Path; from retrieval.config import EmbeddingConfig; "
        "from retrieval.factory import build_embedder; "
        "e = build_embedder(EmbeddingConfig(backend='onnx-int8'), Path(sys.argv[1])); "
        "print(e.embed_query('hi').shape)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    said = []
    for worker in workers:
        out, err = worker.communicate(timeout=WAIT_S)
        assert worker.returncode == 0, err
        assert out.strip() == "(384,)"
        said += err.splitlines()
    progress = [line.split(" a model", 1)[0] for line in said if " a model to " in line]
    assert set(progress) == {"exporting", "quantising"}, said  # one worker or both
    assert not [line for line in said if "WARNING" in line or "onnx_export" in line], said
    names = sorted(p.name for p in (tmp_path / "models").iterdir())
    assert [n.rsplit("-", 1)[1] for n in names] == ["fp32.onnx", "int8pc.onnx"]
