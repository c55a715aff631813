"""Conversations: live events and the reply pipeline that every channel calls (issue 19).

Nothing is imported here: `bot.handoff` imports the events and the reply pipeline imports
the responder, which imports `bot.handoff`.
"""
