"""Size of the served chat widget (`/widget.js`): raw and gzip bytes, against the budget.

Run from the repository root: `.venv/bin/python benchmarks/widget_size.py`. Exits with status
1 when the gzipped bundle is over the budget (25 KB), so CI can run it as a check.
"""

from __future__ import annotations

import argparse
import gzip
import sys

from _common import emit, table

from bot.api.routes.widget import WIDGET_DIR, current_bundle

BUDGET_GZIP_BYTES = 25 * 1024


def _gzip_size(text: str) -> int:
    return len(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


def main() -> int:
    """Print the per-source and bundle sizes; 1 when over budget."""
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    rows: list[list[object]] = []
    for path in [*sorted(WIDGET_DIR.glob("*.js")), WIDGET_DIR / "widget.css"]:
        source = path.read_text("utf-8")
        rows.append([path.name, len(source.encode("utf-8")), _gzip_size(source)])
    bundle = current_bundle()
    raw, zipped = len(bundle.body), len(bundle.gzipped)
    rows.append(["/widget.js (as served: esbuild, minified)", raw, zipped])
    emit("# Results")
    emit(table(["file", "raw bytes", "gzip bytes"], rows))
    emit()
    verdict = "within" if zipped <= BUDGET_GZIP_BYTES else "OVER"
    emit(
        f"bundle: {raw / 1024:.1f} KB raw, {zipped / 1024:.1f} KB gzipped "
        f"({verdict} the {BUDGET_GZIP_BYTES // 1024} KB gzip budget)"
    )
    return 0 if zipped <= BUDGET_GZIP_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
