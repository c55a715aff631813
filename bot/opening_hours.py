"""Business hours in words for customers ('Monday to Friday 8:00–20:00 (Europe/Madrid time)')."""

from __future__ import annotations

import datetime as dt

from escalation.availability import BusinessHours

Window = tuple[dt.time, dt.time]

_DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    # Plural, as in "sábados de 9:00 a 17:00" (lunes to viernes are the same in both).
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábados", "domingos"],
}
_SINGULAR_ES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]


def describe_hours(hours: BusinessHours, locale: str) -> str:
    """The opening windows in words in `locale` (en or es), with the time zone's name;
    empty when `hours` has no windows (always open)."""
    if not hours.windows:
        return ""
    lang = "es" if locale.split("-")[0].lower() == "es" else "en"
    runs = _runs(hours)
    groups = [_group(lang, first, last, windows) for first, last, windows in runs]
    if any(len(windows) > 1 for *_, windows in runs):
        days = "; ".join(groups)  # "and" already joins the windows of a day
    else:
        days = _join(groups, lang)
    zone = hours.zone.key
    return f"{days} (hora de {zone})" if lang == "es" else f"{days} ({zone} time)"


def _runs(hours: BusinessHours) -> list[tuple[int, int, tuple[Window, ...]]]:
    """Consecutive weekdays with the same windows: (first day, last day, windows)."""
    runs: list[tuple[int, int, tuple[Window, ...]]] = []
    for day in range(7):
        windows = tuple(sorted(hours.windows.get(day, [])))
        if not windows:
            continue
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == windows:
            runs[-1] = (runs[-1][0], day, windows)
        else:
            runs.append((day, day, windows))
    return runs


def _group(lang: str, first: int, last: int, windows: tuple[Window, ...]) -> str:
    names = _DAYS[lang]
    if lang == "es":
        if (first, last) == (0, 6):
            days = "todos los días"
        elif first == last:
            days = names[first]
        else:
            days = f"de {_SINGULAR_ES[first]} a {_SINGULAR_ES[last]}"
        times = " y ".join(f"de {_clock(a)} a {_clock(b)}" for a, b in windows)
    else:
        if (first, last) == (0, 6):
            days = "every day"
        elif first == last:
            days = names[first]
        else:
            days = f"{names[first]} to {names[last]}"
        times = " and ".join(f"{_clock(a)}–{_clock(b)}" for a, b in windows)
    return f"{days} {times}"


def _clock(time: dt.time) -> str:
    if time == dt.time(23, 59, 59):  # parse_hours stores 'until 24:00' this way
        return "24:00"
    return f"{time.hour}:{time.minute:02d}"


def _join(parts: list[str], lang: str) -> str:
    last = " y " if lang == "es" else " and "
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + last + parts[-1]
