"""Handing conversations to people: the escalator, the ticket desk (agent actions), the
ticket view (what agents read), staff sessions and availability, webhooks."""
