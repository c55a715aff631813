"""Broadcasters and rate limiters, one module each (in memory, Redis)."""
