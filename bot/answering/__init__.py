"""Answering a customer: the responder, its answerers and the checks an answer passes."""
