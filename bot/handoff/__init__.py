"""Handing conversations to people: the escalator, the ticket desk, webhooks."""
