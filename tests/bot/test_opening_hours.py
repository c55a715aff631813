"""Business hours and system notices in the customer's words and language (issue 17)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answering import messages
from bot.handoff.opening_hours import describe_hours
from escalation.availability import parse_hours

MADRID = "Europe/Madrid"


@pytest.mark.parametrize(
    ("spec", "locale", "expected"),
    [
        (
            "mon-fri 08:00-20:00; sat 09:00-17:00",
            "en",
            "Monday to Friday 8:00–20:00 and Saturday 9:00–17:00 (Europe/Madrid time)",
        ),
        (
            "mon-fri 08:00-20:00; sat 09:00-17:00",
            "es-MX",
            "de lunes a viernes de 8:00 a 20:00 y sábados de 9:00 a 17:00 (hora de Europe/Madrid)",
        ),
        ("wed 10:30-24:00", "en", "Wednesday 10:30–24:00 (Europe/Madrid time)"),
        ("sun 10:00-14:00", "es", "domingos de 10:00 a 14:00 (hora de Europe/Madrid)"),
        (
            "mon-fri 08:00-12:00; mon-fri 14:00-18:00; sat 10:00-13:00; sun 10:00-13:00",
            "en",
            "Monday to Friday 8:00–12:00 and 14:00–18:00; Saturday to Sunday 10:00–13:00 "
            "(Europe/Madrid time)",
        ),
        (
            "mon 14:00-18:00; mon 09:00-12:00; wed 09:00-12:00",
            "es",
            "lunes de 9:00 a 12:00 y de 14:00 a 18:00; miércoles de 9:00 a 12:00 "
            "(hora de Europe/Madrid)",
        ),
        ("mon-sun 00:00-24:00", "es", "todos los días de 0:00 a 24:00 (hora de Europe/Madrid)"),
        ("mon-sun 09:00-17:00", "fr", "every day 9:00–17:00 (Europe/Madrid time)"),
    ],
)
def test_hours_in_words(spec: str, locale: str, expected: str) -> None:
    assert describe_hours(parse_hours(spec, MADRID), locale) == expected


def test_empty_hours_are_always_open_and_have_no_words() -> None:
    assert describe_hours(parse_hours("", MADRID), "en") == ""


def test_offline_notice_reads_for_people() -> None:
    hours = describe_hours(parse_hours("mon-fri 08:00-20:00", MADRID), "es")
    notice = messages.text("handoff_offline", "es", "Acme", hours=hours)
    assert "Atendemos de lunes a viernes de 8:00 a 20:00 (hora de Europe/Madrid)." in notice
    assert "()" not in messages.text("handoff_unavailable", "es", "Acme", hours="")


@pytest.mark.parametrize(
    ("page", "said", "expected"),
    [
        ("en", "hola, quiero hablar con una persona de verdad", "es"),
        ("es", "where is my order? I can't find it", "en"),
        ("es", "ok", "es"),  # too short to tell: the page's language
        ("es", "où est ma commande, je ne la trouve pas", "es"),  # no French table
        ("", "", "en"),
    ],
)
def test_notices_follow_the_customers_latest_language(page: str, said: str, expected: str) -> None:
    assert messages.notice_locale(page, said) == expected


# A Wednesday in January (no summer time anywhere involved): Madrid is UTC+1, New York UTC-5.
WINTER = dt.datetime(2026, 1, 14, 12, 0, tzinfo=dt.UTC)
MADRID_ONLY = "Monday to Friday 8:00–20:00 (Europe/Madrid time)"


@pytest.mark.parametrize(
    ("spec", "locale", "local", "expected"),
    [
        (
            "mon-fri 08:00-20:00",
            "en",
            "America/New_York",
            "Monday to Friday 8:00–20:00 (Europe/Madrid time), that is Monday to Friday "
            "2:00–14:00 your time",
        ),
        (
            "mon-fri 08:00-20:00",
            "es",
            "America/Mexico_City",
            "de lunes a viernes de 8:00 a 20:00 (hora de Europe/Madrid), es decir, de lunes a "
            "viernes de 1:00 a 13:00 en tu hora",
        ),
        (  # crossing midnight in the customer's zone splits the day
            "sat 20:00-24:00",
            "en",
            "Asia/Tokyo",
            "Saturday 20:00–24:00 (Europe/Madrid time), that is Sunday 4:00–8:00 your time",
        ),
        (
            "fri 16:00-20:00",
            "en",
            "Asia/Kolkata",
            "Friday 16:00–20:00 (Europe/Madrid time), that is Friday 20:30–24:00 and "
            "Saturday 0:00–0:30 your time",
        ),
        # The same offset, an unknown zone or none: the company's time only.
        ("mon-fri 08:00-20:00", "en", "Africa/Lagos", MADRID_ONLY),
        ("mon-fri 08:00-20:00", "en", "Mars/Olympus", MADRID_ONLY),
        ("mon-fri 08:00-20:00", "en", "", MADRID_ONLY),
    ],
)
def test_hours_in_the_customers_time(spec: str, locale: str, local: str, expected: str) -> None:
    said = describe_hours(parse_hours(spec, MADRID), locale, local, now=WINTER)
    assert said == expected
