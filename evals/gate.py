"""The quality gate: golden-set metrics against the floors in `evals/thresholds.toml`.

The file has a `[floors]` table (a metric must be at least this) and an optional
`[ceilings]` table (at most this), keyed by the flat metric names of
`GoldenResults.metrics()`, e.g. `"retrieval.hybrid.recall@5" = 0.9`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from evals.errors import DatasetError

DEFAULT_THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Minimum and maximum allowed values per metric."""

    floors: Mapping[str, float]
    ceilings: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Violation:
    """A metric on the wrong side of its threshold (or not measured at all)."""

    metric: str
    measured: float | None
    bound: float
    kind: str  # "floor" or "ceiling"

    def __str__(self) -> str:
        if self.measured is None:
            return f"{self.metric}: not measured (threshold {self.bound:g})"
        sign = ">=" if self.kind == "floor" else "<="
        return f"{self.metric}: {self.measured:g}, must be {sign} {self.bound:g}"


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> Thresholds:
    """Read a thresholds file; DatasetError names a bad file or value."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such thresholds file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DatasetError(f"{path}: {exc}") from exc
    unknown = set(data) - {"floors", "ceilings"}
    if unknown:
        raise DatasetError(f"{path}: unknown table(s) {sorted(unknown)}; use floors, ceilings")
    tables: dict[str, dict[str, float]] = {}
    for table in ("floors", "ceilings"):
        raw = data.get(table, {})
        if not isinstance(raw, dict):
            raise DatasetError(f"{path}: [{table}] must be a table")
        for name, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DatasetError(f"{path}: {table}.{name} must be a number")
        tables[table] = {name: float(value) for name, value in raw.items()}
    if not tables["floors"] and not tables["ceilings"]:
        raise DatasetError(f"{path}: no thresholds")
    return Thresholds(tables["floors"], tables["ceilings"])


def check(metrics: Mapping[str, float], thresholds: Thresholds) -> list[Violation]:
    """Every metric below its floor or above its ceiling; a missing metric is a violation."""
    found = []
    for name, floor in thresholds.floors.items():
        value = metrics.get(name)
        if value is None or value < floor:
            found.append(Violation(name, value, floor, "floor"))
    for name, ceiling in thresholds.ceilings.items():
        value = metrics.get(name)
        if value is None or value > ceiling:
            found.append(Violation(name, value, ceiling, "ceiling"))
    return found
