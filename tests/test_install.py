"""The locks every install path uses: exact, hash-checked, CPU torch, runtime free of test tools."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from evals.errors import MissingExtra, require_extra
from tests.conftest import ROOT
from tests.waiting import WAIT_S

LOCKS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\],]+)==(\S+) \\$", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    """Package -> version of one lock file."""
    return {package.lower(): version for package, version in PIN.findall(read(name))}


def read(name: str) -> str:
    return (LOCKS / name).read_text()


@pytest.mark.parametrize("name", ["run.txt", "dev.txt", "uv.txt"])
def test_every_package_is_pinned_with_a_hash(name: str) -> None:
    text = read(name)
    requirements = [line for line in text.splitlines() if line and line[0].isalnum()]
    assert requirements, f"{name} pins nothing"
    assert all(re.match(r"^\S+==\S+ \\$", line) for line in requirements), requirements
    assert len(pins(name)) == len(requirements) == text.count("==")
    # each pin is followed by at least one sha256
    assert all(block.count("--hash=sha256:") for block in text.split("==")[1:])


def test_runtime_lock_is_the_dev_lock_minus_test_and_optional_tools() -> None:
    run, dev = pins("run.txt"), pins("dev.txt")
    assert {package: dev.get(package) for package in run} == run, "versions must agree"
    for tool in ("pytest", "mypy", "llama-cpp-python", "matplotlib", "langchain", "playwright"):
        assert tool in dev and tool not in run, tool
    for needed in ("sentence-transformers", "chromadb", "fastapi", "psycopg", "redis"):
        assert needed in run, needed


def test_torch_is_the_cpu_build() -> None:
    assert pins("run.txt")["torch"] == pins("dev.txt")["torch"] == "2.13.0+cpu"
    assert not [package for package in pins("dev.txt") if package.startswith("nvidia")]


def test_a_missing_extra_names_the_extra_to_install() -> None:
    with pytest.raises(MissingExtra) as caught:
        require_extra("no_such_module_here", "report", "the report's charts")
    assert str(caught.value) == (
        "the report's charts needs no_such_module_here: pip install 'supportbot[report]'"
    )


def test_the_runtime_imports_no_optional_or_test_package() -> None:
    """Every runtime module imports with the extras' packages made unimportable."""
    blocked = ["matplotlib", "sklearn", "llama_cpp", "pytest", "playwright", "langchain"]
    script = f"""
import importlib, pkgutil, sys
for name in {blocked!r}:
    sys.modules[name] = None  # import fails as if the package were not installed
import bot, escalation, retrieval
for package in (bot, escalation, retrieval):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not module.name.startswith("bot.db.migrations") and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=WAIT_S
    )
    assert done.returncode == 0, done.stderr
