"""Real mail servers for the email channel's tests: Debian's Dovecot (IMAP) as a child
process with its own configuration, and aiosmtpd (SMTP), each on a free localhost port;
optionally with TLS, on a certificate of a throwaway CA made with the openssl command."""

from __future__ import annotations

import email
import imaplib
import os
import pwd
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from types import TracebackType

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.live_server import free_port
from tests.waiting import WAIT_S, eventually

DOVECOT = "/usr/sbin/dovecot"
USER = "support@example.test"
PASSWORD = "mailbox secret"
_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = supportbot-test-{port}
log_path = {root}/dovecot.log
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
"""


OPENSSL = "/usr/bin/openssl"


@dataclass(frozen=True, slots=True)
class Certificates:
    """A throwaway CA (`ca`, PEM) and a server certificate and key it signed for localhost."""

    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """A server-side TLS context with the certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificates(folder: Path) -> Certificates:
    """A new CA and a certificate for localhost and 127.0.0.1, valid for a day, in `folder`."""
    ca, ca_key = folder / "ca.pem", folder / "ca.key"
    cert, key = folder / "localhost.pem", folder / "localhost.key"
    key_options = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req", "-x509", *key_options, "-keyout", ca_key, "-out", ca, "-days", "1",
        "-subj", "/CN=supportbot test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    _openssl(
        "req", "-x509", *key_options, "-keyout", key, "-out", cert, "-days", "1",
        "-CA", ca, "-CAkey", ca_key, "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-addext", "basicConstraints=critical,CA:FALSE",
        "-addext", "keyUsage=critical,digitalSignature",
        "-addext", "extendedKeyUsage=serverAuth",
    )  # fmt: skip
    return Certificates(ca, cert, key)


def _openssl(*args: str | Path) -> None:
    subprocess.run([OPENSSL, *map(str, args)], check=True, capture_output=True)


def require_dovecot() -> None:
    """Skip locally, fail under CI=true, when Dovecot is not installed (make mail-deps)."""
    if os.path.exists(DOVECOT):
        return
    reason = f"Dovecot is not installed ({DOVECOT}): run make mail-deps (dovecot-imapd)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"the mail tests must run in CI: {reason}")
    pytest.skip(reason)


class Dovecot:
    """A Dovecot IMAP server (IMAP on 127.0.0.1, one user) until exit; with `tls`, also IMAPS
    on `imaps_port` and STARTTLS on `port`.

    Its folder is outside pytest's (that one is private to root, and Dovecot's processes run
    as the `dovecot` user), and is removed on exit.
    """

    def __init__(self, tls: Certificates | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="supportbot-dovecot-"))
        self.port = free_port()
        self.imaps_port = free_port() if tls else 0
        self._tls = tls
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Dovecot:
        dovecot = pwd.getpwnam("dovecot")
        for folder in ("run", "state", "mail"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        os.chown(self.root / "mail", dovecot.pw_uid, dovecot.pw_gid)
        self.root.chmod(0o755)  # the mail processes run as dovecot
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        config = self.root / "dovecot.conf"
        tls = (
            f"ssl = yes\nssl_cert = <{self._tls.cert}\nssl_key = <{self._tls.key}"
            if self._tls
            else "ssl = no"
        )
        config.write_text(
            _CONFIG.format(root=self.root, port=self.port, imaps_port=self.imaps_port, ssl=tls)
        )
        self._process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)])
        eventually(self._answers, f"Dovecot on port {self.port} (log: {self.root}/dovecot.log)")
        return self

    def _answers(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            log = self.root / "dovecot.log"
            raise RuntimeError(f"Dovecot exited: {log.read_text() if log.exists() else 'no log'}")
        try:
            imaplib.IMAP4("127.0.0.1", self.port, timeout=2).logout()
        except OSError:
            return False
        return True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=WAIT_S)
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        """A logged-in connection with INBOX selected."""
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(USER, PASSWORD)
        conn.select("INBOX")
        return conn

    def deliver(self, raw: bytes) -> None:
        """Put a message in the INBOX, unseen (IMAP APPEND, as a delivery agent would)."""
        conn = self.client()
        try:
            status, data = conn.append("INBOX", None, None, raw)
            assert status == "OK", data
        finally:
            conn.logout()

    def unseen(self) -> int:
        """How many messages of the INBOX are not marked seen."""
        conn = self.client()
        try:
            _, data = conn.uid("SEARCH", "UNSEEN")
            return len((data[0] or b"").split())
        finally:
            conn.logout()

    def clear(self) -> None:
        """Delete every message of the INBOX."""
        conn = self.client()
        try:
            conn.store("1:*", "+FLAGS", "(\\Deleted)")
            conn.expunge()
        finally:
            conn.logout()


class Outbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Store the message (aiosmtpd's hook)."""
        assert isinstance(envelope.content, bytes)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def wait_for(self, check: Callable[[Message], bool], what: str) -> Message:
        """The first received message for which `check` holds (waits for it)."""
        return eventually(lambda: next((m for m in self.messages if check(m)), None), what)

    def replies_to(self, message_id: str) -> list[Message]:
        """Received messages whose In-Reply-To is `message_id`."""
        return [m for m in self.messages if m.get("In-Reply-To") == message_id]


class SmtpServer:
    """aiosmtpd on a free localhost port until exit; `outbox` has what it received. With
    `tls`, it accepts mail only after STARTTLS, or (`implicit`) only over TLS from the first
    byte, as on port 465."""

    def __init__(self, tls: Certificates | None = None, *, implicit: bool = False) -> None:
        self.port = free_port()
        self.outbox = Outbox()
        self._tls = tls.server_context() if tls else None
        self._implicit = implicit

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Listen (again) on the port."""
        if self._implicit:
            self._controller = Controller(
                self.outbox, hostname="127.0.0.1", port=self.port, ssl_context=self._tls
            )
            self._controller.start()
            return
        self._controller = Controller(
            self.outbox,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=self._tls,
            require_starttls=self._tls is not None,
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: the SMTP server is down."""
        self._controller.stop()
