"""The email channel: a support mailbox read by IMAP and answered by SMTP (issue 20).

Inbound mail becomes turns of `email` conversations and goes through the same responder,
escalation queue and agents as a chat; replies go back in the same thread.
"""

from bot.conversations.channels.email.parsing import parse_email
from bot.conversations.channels.email.types import Attachment, InboundEmail, MachineKind

__all__ = ["Attachment", "InboundEmail", "MachineKind", "parse_email"]
