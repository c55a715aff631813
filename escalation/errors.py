"""Errors of the escalation package; all derive from `EscalationError`."""

from __future__ import annotations


class EscalationError(Exception):
    """Root of every error raised by the escalation package."""


class TicketNotFound(EscalationError):
    """No ticket with that id."""


class AlreadyClaimed(EscalationError):
    """Another agent holds the ticket (the loser of a claim race gets this)."""


class InvalidTransition(EscalationError):
    """The ticket's status does not allow that action; the message says which."""


class AuthError(EscalationError):
    """Wrong credentials or an expired session."""


class DuplicateAgent(EscalationError):
    """An agent with that name exists."""


class RulesError(EscalationError):
    """The sensitive-topic rules file is invalid; the message names the file and entry."""
