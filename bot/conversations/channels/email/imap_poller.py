"""The support mailbox over IMAP (imaplib): unseen messages, \\Seen flags, IDLE waits.

Messages are read with BODY.PEEK so that reading never marks them seen: the service marks a
message seen only once it is stored (issue 20).
"""

from __future__ import annotations

import imaplib
import re
import select
import ssl
import time
from typing import Any, Literal

from bot.conversations.channels.email.errors import MailError, hint, tls_context
from bot.conversations.channels.email.types import Fetched

_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class ImapMailbox:
    """One folder of an IMAP account; connects lazily and reconnects after a failure."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: Literal["ssl", "starttls", "plain"],
        user: str,
        password: str,
        folder: str = "INBOX",
        timeout_s: float = 30.0,
        max_message_bytes: int = 25_000_000,
        idle: bool = True,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._host = host
        self._port = port or (993 if security == "ssl" else 143)
        self._security = security
        self._user = user
        self._password = password
        self._folder = folder
        self._timeout_s = timeout_s
        self._max_bytes = max_message_bytes
        self._idle = idle
        self._tls = tls or tls_context()
        self._conn: imaplib.IMAP4 | None = None

    def unseen(self) -> list[Fetched]:
        """The unseen messages, oldest first; headers only when over the limit."""
        conn = self._connection()
        try:
            _, data = _ok(conn.uid("SEARCH", "UNSEEN"), "search")
            return [self._fetch(conn, uid.decode()) for uid in (data[0] or b"").split()]
        except (imaplib.IMAP4.error, OSError) as exc:
            self.close()
            raise MailError(f"reading the mailbox on {self._host} failed: {exc}") from exc

    def mark_seen(self, uid: str) -> None:
        """Set \\Seen on the message."""
        conn = self._connection()
        try:
            _ok(conn.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "store")
        except (imaplib.IMAP4.error, OSError) as exc:
            self.close()
            raise MailError(f"marking a message seen on {self._host} failed: {exc}") from exc

    def wait(self, timeout_s: float) -> None:
        """IDLE until the server announces a change or `timeout_s` passes (a sleep without IDLE)."""
        conn = self._connection()
        if not (self._idle and "IDLE" in conn.capabilities):
            time.sleep(timeout_s)
            return
        try:
            _idle(conn, timeout_s)
        except (imaplib.IMAP4.error, OSError) as exc:
            self.close()
            raise MailError(f"waiting for mail on {self._host} failed: {exc}") from exc

    def close(self) -> None:
        """Log out (errors ignored: the connection may already be gone)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    def _connection(self) -> imaplib.IMAP4:
        if self._conn is not None:
            return self._conn
        try:
            conn: imaplib.IMAP4
            if self._security == "ssl":
                conn = imaplib.IMAP4_SSL(
                    self._host,
                    self._port,
                    ssl_context=self._tls,
                    timeout=self._timeout_s,
                )
            else:
                conn = imaplib.IMAP4(self._host, self._port, timeout=self._timeout_s)
                if self._security == "starttls":
                    conn.starttls(self._tls)
            conn.login(self._user, self._password)
            _ok(conn.select(_quoted(self._folder)), f"select {self._folder}")
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailError(
                f"cannot open the mailbox {self._user}@{self._host}:{self._port} "
                f"({self._security}): {exc}{hint(exc)}; check SUPPORTBOT_MAIL__IMAP_*"
            ) from exc
        self._conn = conn
        return conn

    def _fetch(self, conn: imaplib.IMAP4, uid: str) -> Fetched:
        _, data = _ok(conn.uid("FETCH", uid, "(RFC822.SIZE)"), "fetch size")
        found = _SIZE.search(data[0] if isinstance(data[0], bytes) else b"")
        size = int(found.group(1)) if found else 0
        part = "BODY.PEEK[HEADER]" if size > self._max_bytes else "BODY.PEEK[]"
        _, data = _ok(conn.uid("FETCH", uid, f"({part})"), "fetch")
        raw = next((bytes(item[1]) for item in data if isinstance(item, tuple)), b"")
        return Fetched(uid, raw, max(size, len(raw)))


def _ok(result: tuple[str, list[Any]], what: str) -> tuple[str, list[Any]]:
    status, data = result
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what}: {status} {data!r}")
    return status, data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _idle(conn: imaplib.IMAP4, timeout_s: float) -> None:
    """RFC 2177 IDLE by hand (imaplib has it only from Python 3.14): wait for an untagged
    EXISTS/RECENT/EXPUNGE or the timeout, then DONE."""
    tag: bytes = conn._new_tag()
    conn.send(tag + b" IDLE\r\n")
    if not conn.readline().startswith(b"+"):
        raise imaplib.IMAP4.error("the server refused IDLE")
    sock = conn.socket()
    deadline = time.monotonic() + timeout_s
    try:
        # select, not a socket timeout: a timed-out read would break imaplib's buffered file.
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            line = conn.readline()
            if not line:
                raise OSError("the server closed the connection")
            if re.search(rb"\b(EXISTS|RECENT|EXPUNGE)\b", line):
                break
    finally:
        conn.send(b"DONE\r\n")
        while not (line := conn.readline()).startswith(tag):
            if not line:
                raise OSError("the server closed the connection")
