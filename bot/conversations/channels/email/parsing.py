"""MIME → `InboundEmail`: tolerant decoding, quote and signature stripping, machine detection.

Nothing here raises on bad input (issue 20, "bad input loses nothing"): malformed MIME,
unknown charsets and undecodable bytes are decoded with replacement and described in `notes`.
"""

from __future__ import annotations

import codecs
import email
import hashlib
import re
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parseaddr
from html.parser import HTMLParser

from bot.conversations.channels.email.types import Attachment, InboundEmail, MachineKind

_MSGID = re.compile(r"<[^<>\s]+>")
# "On Mon, 1 Jan 2024 at 10:00, Ann <ann@x.org> wrote:" (may wrap onto a second line), and
# the separators of Outlook and other clients above quoted history.
_ATTRIBUTION = re.compile(r"^\s*(On\b.{0,300}\bwrote:|El\b.{0,300}\bescribió:)\s*$", re.I | re.S)
_HISTORY = re.compile(
    r"^\s*(-{2,}\s*Original Message\s*-{2,}|_{20,}|-{2,}\s*Forwarded message\s*-{2,}|"
    r"From:\s.+\bSent:\s)",
    re.I,
)
_OUT_OF_OFFICE = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|autoreply|"
    r"abwesenheit|fuera de la oficina|absence|vacation|respuesta autom[aá]tica)\b|"
    r"^\s*auto:",
    re.I,
)
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
_LIST_PRECEDENCE = ("bulk", "list", "junk")
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
MAX_ID_CHARS = 500  # longer ids (nobody's real ones) are replaced by a digest to stay indexable


def parse_email(
    raw: bytes,
    *,
    own_address: str = "",
    max_attachment_bytes: int = 10_000_000,
    max_attachments: int = 20,
    size: int = 0,
) -> InboundEmail:
    """Decode `raw` (RFC 5322 bytes) as far as possible; never raises. A `size` over
    `len(raw)` says that `raw` is only the headers of a message too big to read whole."""
    notes: list[str] = []
    if size > len(raw):
        notes.append(
            f"message of {size:,} bytes, over the size limit: only its headers were read; "
            "the whole message stays on the mail server"
        )
    msg = email.message_from_bytes(raw)  # compat32: keeps going on any defect
    defects = sorted({type(d).__name__ for part in msg.walk() for d in part.defects})
    if defects:
        notes.append(f"malformed MIME ({', '.join(defects)}): decoded as far as possible")
    sender_name, sender = parseaddr(_header(msg, "From"))
    sender = sender.strip().lower()
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[Attachment] = []
    extra = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        filename = _decoded(part.get_filename() or "")
        if kind.startswith("multipart/"):  # a multipart whose parts could not be found
            texts.append(_body(part, notes))
        elif disposition == "attachment" or filename or not kind.startswith("text/"):
            if len(attachments) >= max_attachments:
                extra += 1
                continue
            content = part.get_payload(decode=True)
            content = content if isinstance(content, bytes) else b""
            size = len(content)
            over = size > max_attachment_bytes
            name = _printable(filename) or "(unnamed)"
            if over:
                notes.append(
                    f"attachment {name!r} is {size:,} bytes, over the {max_attachment_bytes:,}-"
                    "byte limit: listed, its content not kept"
                )
            kept = None if over else content
            attachments.append(Attachment(name, _printable(kind), size, over, kept))
        elif kind == "text/html":
            htmls.append(_body(part, notes))
        else:
            texts.append(_body(part, notes))
    if extra:
        notes.append(f"{extra} more attachments than the {max_attachments} listed: not listed")
    html = "\n".join(h for h in htmls if h)
    full = "\n".join(t for t in texts if t.strip()).strip()
    if not full and html:
        full = html_to_text(html)
        notes.append("HTML-only message: its text was extracted for the answer")
    return InboundEmail(
        message_id=_message_id(msg, raw),
        sender=sender,
        sender_name=_printable(_decoded(sender_name)),
        subject=_printable(_header(msg, "Subject")),
        text=new_text(full),
        full_text=full,
        html=html,
        in_reply_to=next(iter(message_ids(_header(msg, "In-Reply-To"))), ""),
        references=message_ids(_header(msg, "References")),
        machine=machine_kinds(msg, sender, own_address),
        attachments=tuple(attachments),
        notes=tuple(dict.fromkeys(notes)),
        size=max(size, len(raw)),
    )


def machine_kinds(msg: Message, sender: str, own_address: str = "") -> tuple[MachineKind, ...]:
    """Why `msg` must not be answered (RFC 3834 and common practice); empty for a person."""
    kinds: list[MachineKind] = []
    auto = _header(msg, "Auto-Submitted").strip().lower()
    subject = _header(msg, "Subject")
    if (
        (auto and auto != "no")
        or msg.get("X-Autoreply") is not None
        or msg.get("X-Autorespond") is not None
        or _OUT_OF_OFFICE.search(subject)
    ):
        kinds.append(MachineKind.AUTO_REPLY)
    local = sender.split("@")[0]
    if local in _BOUNCE_SENDERS or msg.get_content_type() == "multipart/report":
        kinds.append(MachineKind.BOUNCE)
    precedence = _header(msg, "Precedence").strip().lower()
    if msg.get("List-Id") is not None or precedence in _LIST_PRECEDENCE:
        kinds.append(MachineKind.MAILING_LIST)
    if own_address and sender == own_address.strip().lower():
        kinds.append(MachineKind.OWN)
    return tuple(kinds)


def new_text(body: str) -> str:
    """The part of a reply its sender wrote now: quoted history ("On ... wrote:", ">" lines,
    "Original Message") and the signature ("-- ") removed."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if line.rstrip() in ("--", "-- ") or _HISTORY.match(line):
            break
        if _ATTRIBUTION.match(line) or (
            i + 1 < len(lines) and _ATTRIBUTION.match(f"{line} {lines[i + 1]}")
        ):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def message_ids(value: str) -> tuple[str, ...]:
    """The `<id>`s in a Message-ID, In-Reply-To or References header, in order."""
    return tuple(dict.fromkeys(_bounded(m) for m in _MSGID.findall(value)))


def html_to_text(markup: str) -> str:
    """The readable text of an HTML body; scripts, styles and quoted blocks are dropped."""
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some garbage: keep the rest
        pass
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\xa0]+", " ", text)
    return re.sub(r"\s*\n\s*(\n\s*)+", "\n\n", text).strip()


class _TextParser(HTMLParser):
    _SKIP = {"script", "style", "head", "blockquote", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _body(part: Message, notes: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    if not isinstance(payload, bytes):
        return str(payload)
    charset = part.get_content_charset() or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        notes.append(f"unknown charset {charset!r}: decoded as UTF-8 with replacement")
        charset = "utf-8"
    text = payload.decode(charset, errors="replace")
    if "\ufffd" in text:
        notes.append(f"bytes not valid in {charset}: replaced")
    if "\x00" in text:  # no database stores it in text (PostgreSQL refuses the row)
        notes.append("NUL characters: removed")
        text = text.replace("\x00", "")
    return text


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a broken header must not lose the message
        return ""
    return _decoded(str(value)) if value is not None else ""


def _decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, ValueError, UnicodeError):
        return value


def _printable(value: str, limit: int = 998) -> str:
    """One line without control characters, at most `limit` characters."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()[:limit]


def _bounded(message_id: str) -> str:
    if len(message_id) <= MAX_ID_CHARS:
        return message_id
    return f"<{hashlib.sha256(message_id.encode()).hexdigest()}@digest.invalid>"


def _message_id(msg: Message, raw: bytes) -> str:
    """The Message-ID, or one derived from the bytes (the same message delivered twice keeps
    one id, so it is still processed once)."""
    found = message_ids(_header(msg, "Message-ID"))
    if found:
        return found[0]
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"
