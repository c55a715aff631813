"""Channels other than the widget and the API that feed the same conversations (issue 20)."""
