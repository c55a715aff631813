"""`supportbot mail poll` and the `mail` settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cli.main import main
from bot.settings import MailConfig, Settings
from tests.mail.conftest import mail_settings
from tests.mail.mails import mail
from tests.mail.servers import Dovecot, SmtpServer


def test_the_channel_is_off_by_default_and_needs_its_servers() -> None:
    assert Settings().mail.enabled is False
    with pytest.raises(ValidationError, match="SUPPORTBOT_MAIL__IMAP_HOST"):
        MailConfig(enabled=True, address="support@example.test")
    secret = MailConfig(imap_password="hunter2", smtp_password="hunter3")  # type: ignore[arg-type]
    assert "hunter" not in secret.model_dump_json()


def test_poll_refuses_to_run_while_the_channel_is_off(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mail", "poll", "--once"]) == 2
    assert "SUPPORTBOT_MAIL__ENABLED=true" in capsys.readouterr().err


@pytest.mark.mail
def test_poll_once_answers_the_mailbox_and_exits(
    dovecot: Dovecot,
    smtp: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(tmp_path))
    for name, value in mail_settings(dovecot, smtp).items():
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        monkeypatch.setenv(f"SUPPORTBOT_MAIL__{name.upper()}", shown)
    message_id, raw = mail("How long does a refund take?", subject="From the CLI")
    dovecot.deliver(raw)
    assert main(["mail", "poll", "--once"]) == 0
    assert "1 message(s) read" in capsys.readouterr().out
    assert len(smtp.outbox.replies_to(message_id)) == 1
    assert dovecot.unseen() == 0
