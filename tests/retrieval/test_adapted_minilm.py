"""Our adapted MiniLM (adapter merged, linear head) gives the same probabilities on ONNX
Runtime as on torch, for single texts and for question/passage pairs, batched or not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from escalation.emotion import DEFAULT_WEIGHTS, RETRAIN_HINT
from retrieval.backends.adapted_minilm import AdaptedMiniLM
from retrieval.backends.st_embedder import bundled_model_dir

TEXTS = [
    "I have been waiting for a refund for a MONTH!!!",
    "how long does shipping take?",
    "¿cuánto cuesta el envío a Monterrey?",
    "thanks " * 200,  # longer than the model's limit: truncated the same way by both
]
PAIRS = [
    ("what's your return window?", "You can return most items within 30 days of delivery."),
    ("do you ship to Mexico?", "Orders placed before 2 pm ship the same day. " * 40),
]


@pytest.fixture(scope="module")
def models(embedder_data_dir: Path) -> Path:
    """The suite's shared ONNX export folder."""
    return embedder_data_dir / "models"


@pytest.fixture(scope="module")
def engines(models: Path) -> tuple[AdaptedMiniLM, AdaptedMiniLM]:
    onnx = AdaptedMiniLM.load(bundled_model_dir(), DEFAULT_WEIGHTS, RETRAIN_HINT, models)
    return onnx, AdaptedMiniLM.load(bundled_model_dir(), DEFAULT_WEIGHTS, RETRAIN_HINT)


def test_onnx_and_torch_agree_on_texts_and_pairs(
    engines: tuple[AdaptedMiniLM, AdaptedMiniLM],
) -> None:
    onnx, torch = engines
    assert np.allclose(onnx.probabilities(TEXTS), torch.probabilities(TEXTS), atol=1e-4)
    assert np.allclose(onnx.pair_probabilities(PAIRS), torch.pair_probabilities(PAIRS), atol=1e-4)
    one_by_one = [onnx.probability(t) for t in TEXTS]
    assert np.allclose(one_by_one, onnx.probabilities(TEXTS), atol=1e-5)


def test_scoring_on_onnx_never_imports_torch(models: Path) -> None:
    """The cold start (issue 18): with the export cached, no torch in the process."""
    code = (
        "import sys; from pathlib import Path\n"
        "from escalation.emotion import DEFAULT_WEIGHTS, RETRAIN_HINT\n"
        "from retrieval.backends.adapted_minilm import AdaptedMiniLM\n"
        "from retrieval.backends.st_embedder import bundled_model_dir\n"
        f"m = AdaptedMiniLM.load(bundled_model_dir(), DEFAULT_WEIGHTS, RETRAIN_HINT, "
        f"Path({str(models)!r}))\n"
        "assert 0 <= m.probability('where is my parcel') <= 1\n"
        "print('torch' in sys.modules)\n"
    )
    AdaptedMiniLM.load(bundled_model_dir(), DEFAULT_WEIGHTS, RETRAIN_HINT, models)  # exported
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert done.stdout.strip() == "False"


def test_an_unreadable_export_is_made_again(
    engines: tuple[AdaptedMiniLM, AdaptedMiniLM], models: Path, tmp_path: Path
) -> None:
    shared = AdaptedMiniLM.export(bundled_model_dir(), DEFAULT_WEIGHTS, RETRAIN_HINT, models)
    (tmp_path / shared.name).write_bytes(b"not an onnx model")
    rebuilt = AdaptedMiniLM.load(bundled_model_dir(), DEFAULT_WEIGHTS, RETRAIN_HINT, tmp_path)
    assert np.allclose(rebuilt.probabilities(TEXTS), engines[0].probabilities(TEXTS), atol=1e-5)
    assert (tmp_path / shared.name).stat().st_size > 50_000_000
