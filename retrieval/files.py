"""Files that several processes may write at once (a server's workers, an eval beside a
server): each writer fills a temporary file of its own beside the target and renames it into
place, so nobody reads a half-written file or renames another writer's."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def temporary_beside(target: Path, suffix: str = "") -> Path:
    """A new, empty file of this writer's own in `target`'s folder."""
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=suffix, dir=target.parent)
    os.close(fd)
    return Path(name)


def move_into_place(written: Path, target: Path) -> None:
    """Rename the finished `written` over `target`, readable by every user."""
    written.chmod(0o644)  # mkstemp makes it private; other users' processes read it too
    os.replace(written, target)
