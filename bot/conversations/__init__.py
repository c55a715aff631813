"""Conversations: their data types, live events, the reply pipeline and the customer's actions
(`service.py`: start, view, rate, ask for a person), which every channel calls.

Nothing is imported here: `bot.handoff` imports the events and the reply pipeline imports
the responder, which imports `bot.handoff`.
"""
