"""Files served to staff as downloads only: a safe name, a type no browser renders (issue 20).

A customer's attachment may be HTML, SVG or a script named to look harmless; served as
`application/octet-stream` with `Content-Disposition: attachment`, `nosniff` and a sandboxing
CSP, the browser saves it and never renders or runs it on our origin.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from fastapi import Response

MAX_NAME_CHARS = 200
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]+')


def safe_filename(name: str) -> str:
    """`name` without path parts, control or shell-special characters and leading dots; at most
    `MAX_NAME_CHARS` characters; "attachment" when nothing is left."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" ._")
    return cleaned[:MAX_NAME_CHARS].strip(" ") or "attachment"


def download(content: bytes, filename: str) -> Response:
    """`content` as a file to save (never to display), named after `filename` (sanitised)."""
    name = safe_filename(filename)
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return Response(
        content=content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
