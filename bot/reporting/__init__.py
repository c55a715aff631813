"""Reporting: the analytics figures, their windows and periods, resolution signals, NPS."""
