"""Conversations: their data types, live events and the reply pipeline every channel calls.

Nothing is imported here: `bot.handoff` imports the events and the reply pipeline imports
the responder, which imports `bot.handoff`.
"""
