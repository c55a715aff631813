"""Small helpers shared by the benchmark scripts: output, tables, timing, machine summary."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from evals.metrics import percentile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def emit(text: str = "") -> None:
    """Write one line to stdout at once (benchmarks run for minutes; show progress live)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table; the first column is left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i]) for i in range(len(row))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ratio(num: float, den: float) -> str:
    """num/den as `1.23x`, or `n/a` when the denominator is zero."""
    return f"{num / den:.2f}x" if den else "n/a"


def latency_summary(ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and mean of per-call latencies in milliseconds."""
    return {
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "mean_ms": statistics.fmean(ms) if ms else 0.0,
    }


def machine() -> str:
    """One line naming the date, CPU, usable cores, torch threads, Python and the load."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in handle if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = ""
    if "torch" in sys.modules:
        threads = f", torch threads {sys.modules['torch'].get_num_threads()}"
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (
        f"{now} | {cpu}, {cores} usable CPU cores{threads} | "
        f"Python {platform.python_version()} | {load()}"
    )


def load() -> str:
    """The 1/5/15-minute load averages (other work on the machine skews timings)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average n/a"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def progress(label: str, every: float = 0.1) -> Callable[[int, int], None]:
    """A `(done, total)` callback printing about every `every` of the way, with the time."""
    started = time.perf_counter()
    shown = -1.0

    def report(done: int, total: int) -> None:
        nonlocal shown
        frac = done / total if total else 1.0
        if frac >= 1.0 or frac - shown >= every:
            shown = frac
            elapsed = time.perf_counter() - started
            emit(f"  {label}: {done:,}/{total:,} ({frac:.0%}) after {elapsed:.1f}s")

    return report


class Stopwatch:
    """Accumulates wall and process CPU time spent in timed sections (`with watch:`).

    CPU time (all threads of this process) is less skewed than wall time when other work
    competes for the cores, so throughput is reported per CPU-second as well.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu = 0.0
        self.calls = 0
        self._started = (0.0, 0.0)

    def __enter__(self) -> Stopwatch:
        self._started = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._started[0]
        self.cpu += time.process_time() - self._started[1]
        self.calls += 1
