"""The words of a message without the HTML it carries.

A customer pasting a snippet, or an attacker probing with `<script>alert(1)</script>`, asks
about the words around the markup: "<script>alert(1)</script> whats your return window?" was
refused because no article mentions "script" or "alert". The stored message keeps every
character (it is escaped wherever it is shown); only what the bot reads loses the markup.
"""

from __future__ import annotations

import re

# Elements whose content is code, never words to a reader: dropped with it.
_CODE = re.compile(
    r"<(script|style|iframe|object|embed|template|noscript)\b[^>]*>.*?(?:</\1\s*>|$)",
    re.IGNORECASE | re.DOTALL,
)
# Tags of common HTML elements (not any <word>: "<order 12345>" is the customer's own text).
_TAG = re.compile(
    r"</?(?:a|abbr|b|body|br|button|code|details|div|em|font|form|h[1-6]|head|hr|html|i|img|"
    r"input|label|li|link|marquee|meta|ol|option|p|pre|select|small|span|strong|sub|summary|"
    r"sup|svg|math|table|tbody|td|textarea|th|thead|tr|u|ul|video|audio|source|base|frame|frameset)"
    r"(?:\s[^<>]*)?/?>|<!--.*?(?:-->|$)",
    re.IGNORECASE | re.DOTALL,
)


def without_markup(text: str) -> str:
    """`text` without HTML tags and the code inside script-like elements (the words between
    tags stay); `text` itself when it has none."""
    plain = _TAG.sub(" ", _CODE.sub(" ", text))
    return text if plain == text else " ".join(plain.split())
