"""Rate limiting and live-event broadcasting: each a protocol, an in-memory and a Redis version."""
