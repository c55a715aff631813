"""Names of files served as downloads: no paths, no header or shell tricks, never empty."""

from __future__ import annotations

import pytest

from bot.api.downloads import MAX_NAME_CHARS, download, safe_filename


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("receipt.pdf", "receipt.pdf"),
        ("../../etc/passwd", "etc_passwd"),
        ("C:\\Users\\x\\evil.exe", "C_Users_x_evil.exe"),
        ('a"; filename=evil.html', "a_ filename=evil.html"),
        ("line\r\nSet-Cookie: x=1", "line_Set-Cookie_ x=1"),
        (".htaccess", "htaccess"),
        ("<script>.html", "script_.html"),
        ("", "attachment"),
        ("...", "attachment"),
        ("r\u00e9sum\u00e9.pdf", "r\u00e9sum\u00e9.pdf"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_long_names_are_cut_and_headers_stay_one_ascii_line() -> None:
    assert len(safe_filename("x" * 1000 + ".pdf")) == MAX_NAME_CHARS
    response = download(b"\x00data", "\u00e9t\u00e9 \u2603.txt\r\nX-Evil: 1")
    disposition = response.headers["content-disposition"]
    assert disposition == (
        'attachment; filename="_t_ _.txt_X-Evil_ 1"; '
        "filename*=UTF-8''%C3%A9t%C3%A9%20%E2%98%83.txt_X-Evil_%201"
    )
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.body == b"\x00data"
