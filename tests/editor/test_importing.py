"""`import_upload`: an uploaded file becomes articles in a real SQLite article store; an
oversized upload is refused after reading one byte over the limit, and nothing is stored."""

from __future__ import annotations

import io

import pytest

from bot.helpcenter.article_io import ImportLimits
from bot.helpcenter.articles import ArticleStatus
from bot.helpcenter.editor import EditorService
from bot.helpcenter.importing import ImportReport, import_upload

pytestmark = pytest.mark.anyio
LIMITS = ImportLimits(
    max_upload_bytes=1_000,
    max_unpacked_bytes=5_000,
    max_files=5,
    max_file_bytes=1_000,
    max_article_chars=800,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Upload:
    """An uploaded file's bytes, recording how much the import asked to read."""

    def __init__(self, data: bytes) -> None:
        self._file = io.BytesIO(data)
        self.asked: list[int] = []

    async def read(self, size: int) -> bytes:
        self.asked.append(size)
        return self._file.read(size)


def markdown(body: str) -> bytes:
    return f"---\ntitle: Opening hours\nid: opening-hours\n---\n{body}\n".encode()


async def send(editor: EditorService, data: bytes, *, publish: bool = False) -> ImportReport:
    upload = Upload(data)
    report = await import_upload(
        editor, "hours.md", upload.read, LIMITS, author="ed", publish=publish
    )
    assert upload.asked == [LIMITS.max_upload_bytes + 1]
    return report


async def test_new_then_equal_then_changed_and_published(editor: EditorService) -> None:
    first = await send(editor, markdown("We open at 9."))
    assert (first.imported, first.updated, first.unchanged) == (["opening-hours"], [], [])
    assert first.problems == []
    stored = await editor.get("opening-hours")
    assert (stored.status, stored.source) == (ArticleStatus.DRAFT, "import")
    assert stored.content.body.strip() == "We open at 9."

    again = await send(editor, markdown("We open at 9."))
    assert (again.imported, again.updated, again.unchanged) == ([], [], ["opening-hours"])

    changed = await send(editor, markdown("We open at 10."), publish=True)
    assert (changed.imported, changed.updated) == ([], ["opening-hours"])
    stored = await editor.get("opening-hours")
    assert stored.status is ArticleStatus.PUBLISHED
    assert stored.content.body.strip() == "We open at 10."
    assert stored.current_version == 2


async def test_an_oversized_upload_is_refused_and_nothing_is_stored(
    editor: EditorService,
) -> None:
    report = await send(editor, markdown("x" * 2_000))
    assert (report.imported, report.updated, report.unchanged) == ([], [], [])
    [problem] = report.problems
    assert problem.path == "hours.md"
    assert "more than 1,000 bytes" in problem.reason
    assert await editor.list() == []
