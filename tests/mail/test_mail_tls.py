"""The email channel over real TLS: Dovecot with IMAPS and STARTTLS, aiosmtpd with STARTTLS and
implicit TLS (port 465 style), all on a certificate of a throwaway CA that only `mail.ca_file`
makes trusted."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import logging
from collections.abc import Iterator

import anyio
import pytest

from bot.conversations.channels.email.errors import MailError, tls_context
from bot.conversations.channels.email.imap_poller import ImapMailbox
from bot.conversations.channels.email.smtp_sender import SmtpSender
from bot.wiring import Services, build_services
from retrieval.interfaces import Embedder
from tests.api.conftest import api_settings
from tests.conftest import KB_FIXTURE
from tests.mail.conftest import mail_settings
from tests.mail.mails import mail
from tests.mail.servers import (
    PASSWORD,
    USER,
    Certificates,
    Dovecot,
    SmtpServer,
    make_certificates,
    require_dovecot,
)
from tests.mail.test_mail_e2e import text_of
from tests.mail.test_mail_service import poll

pytestmark = pytest.mark.mail

UNTRUSTED = r"certificate verify failed.*SUPPORTBOT_MAIL__CA_FILE"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A new CA and its certificate for localhost."""
    return make_certificates(tmp_path_factory.mktemp("mail-tls"))


@pytest.fixture(scope="module")
def dovecot(certificates: Certificates) -> Iterator[Dovecot]:
    """Dovecot with IMAPS and STARTTLS on the test certificate."""
    require_dovecot()
    with Dovecot(certificates) as server:
        yield server


@pytest.fixture(scope="module")
def smtp(certificates: Certificates) -> Iterator[SmtpServer]:
    """An SMTP server that takes mail only after STARTTLS on the test certificate."""
    with SmtpServer(certificates) as server:
        yield server


@pytest.fixture(scope="module")
def services(
    embedder: Embedder,
    tmp_path_factory: pytest.TempPathFactory,
    certificates: Certificates,
    dovecot: Dovecot,
    smtp: SmtpServer,
) -> Iterator[Services]:
    """Services reading by IMAPS and sending with STARTTLS, trusting the test CA."""
    settings = api_settings(
        tmp_path_factory.mktemp("mail-tls-service"),
        escalation={"business_hours": ""},
        mail=mail_settings(
            dovecot,
            smtp,
            imap_host="localhost",
            imap_port=dovecot.imaps_port,
            imap_security="ssl",
            smtp_host="localhost",
            smtp_security="starttls",
            ca_file=str(certificates.ca),
        ),
    )
    built = build_services(settings, embedder=embedder)
    built.kb.ingest_path(KB_FIXTURE)
    yield built
    anyio.run(built.aclose)


def untrusting(services: Services) -> Services:
    """The same services configured without `mail.ca_file` (the system CAs only)."""
    settings = services.settings
    config = settings.mail.model_copy(update={"ca_file": ""})
    return dataclasses.replace(services, settings=settings.model_copy(update={"mail": config}))


def starttls_mailbox(dovecot: Dovecot, certificates: Certificates | None) -> ImapMailbox:
    """The support mailbox by STARTTLS on the plain IMAP port, trusting `certificates`' CA."""
    return ImapMailbox(
        host="localhost",
        port=dovecot.port,
        security="starttls",
        user=USER,
        password=PASSWORD,
        tls=tls_context(str(certificates.ca) if certificates else ""),
    )


def test_imaps_without_the_ca_is_refused_and_the_message_waits_until_trust_is_configured(
    services: Services, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    message_id, raw = mail("How long does a refund take?", subject="Over IMAPS")
    dovecot.deliver(raw)
    with pytest.raises(MailError, match=UNTRUSTED):
        poll(untrusting(services))
    assert dovecot.unseen() == 1
    assert smtp.outbox.replies_to(message_id) == []
    assert poll(services) == 1
    (reply,) = smtp.outbox.replies_to(message_id)
    assert "business days" in text_of(reply)
    assert dovecot.unseen() == 0


def test_smtp_starttls_without_the_ca_is_logged_and_the_message_stays_unseen(
    services: Services,
    dovecot: Dovecot,
    smtp: SmtpServer,
    certificates: Certificates,
    caplog: pytest.LogCaptureFixture,
) -> None:
    message_id, raw = mail("How long does a refund take?", subject="Over STARTTLS")
    dovecot.deliver(raw)
    trusted_imap = ImapMailbox(
        host="localhost",
        port=dovecot.imaps_port,
        security="ssl",
        user=USER,
        password=PASSWORD,
        tls=tls_context(str(certificates.ca)),
    )
    with caplog.at_level(logging.ERROR):
        assert poll(untrusting(services), trusted_imap) == 1  # read, but the reply is refused
    assert any(
        record.exc_info and "SUPPORTBOT_MAIL__CA_FILE" in str(record.exc_info[1])
        for record in caplog.records
    )
    assert dovecot.unseen() == 1
    assert not services.database.emails.record(message_id).handled
    assert smtp.outbox.replies_to(message_id) == []
    assert poll(services) == 1
    assert len(smtp.outbox.replies_to(message_id)) == 1
    assert dovecot.unseen() == 0


def test_imap_starttls_polls_once_trusting_the_ca_and_is_refused_without_it(
    services: Services, dovecot: Dovecot, smtp: SmtpServer, certificates: Certificates
) -> None:
    message_id, raw = mail("How long does a refund take?", subject="Over IMAP STARTTLS")
    dovecot.deliver(raw)
    with pytest.raises(MailError, match=UNTRUSTED):
        starttls_mailbox(dovecot, None).unseen()
    assert dovecot.unseen() == 1
    assert poll(services, starttls_mailbox(dovecot, certificates)) == 1
    assert len(smtp.outbox.replies_to(message_id)) == 1
    assert dovecot.unseen() == 0


def test_smtp_over_implicit_tls_sends_trusting_the_ca_and_is_refused_without_it(
    certificates: Certificates,
) -> None:
    message_id, raw = mail("Sent over implicit TLS", subject="Over SMTPS")
    message = email.message_from_bytes(raw, policy=email.policy.default)

    def sender(ca: Certificates | None) -> SmtpSender:
        return SmtpSender(
            host="localhost",
            port=server.port,
            security="ssl",
            tls=tls_context(str(ca.ca) if ca else ""),
        )

    with SmtpServer(certificates, implicit=True) as server:
        with pytest.raises(MailError, match=UNTRUSTED):
            sender(None).send(message)
        assert server.outbox.messages == []
        sender(certificates).send(message)
        received = server.outbox.wait_for(
            lambda m: m.get("Message-ID") == message_id, "the message sent over implicit TLS"
        )
    assert "Sent over implicit TLS" in text_of(received)
