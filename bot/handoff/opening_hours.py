"""Business hours in words for customers ('Monday to Friday 8:00–20:00 (Europe/Madrid time)'),
and in the customer's own time when the widget knows their time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalation.availability import BusinessHours

Window = tuple[dt.time, dt.time]
Windows = dict[int, list[Window]]
_MIDNIGHT = dt.time(23, 59, 59)  # the end of a window that runs until 24:00

_DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    # Plural, as in "sábados de 9:00 a 17:00" (lunes to viernes are the same in both).
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábados", "domingos"],
}
_SINGULAR_ES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]


def describe_hours(
    hours: BusinessHours, locale: str, local_zone: str = "", now: dt.datetime | None = None
) -> str:
    """The opening windows in words in `locale` (en or es), with the time zone's name, then
    in the customer's `local_zone` (an IANA name the widget reads from the browser) when it
    differs; empty when `hours` has no windows (always open)."""
    if not hours.windows:
        return ""
    lang = "es" if locale.split("-")[0].lower() == "es" else "en"
    zone = hours.zone.key
    said = _in_words(hours.windows, lang)
    said = f"{said} (hora de {zone})" if lang == "es" else f"{said} ({zone} time)"
    local = _zone(local_zone)
    moment = now or dt.datetime.now(dt.UTC)
    offset = moment.astimezone(hours.zone).utcoffset()
    if local is None or moment.astimezone(local).utcoffset() == offset:
        return said
    there = _in_words(_shifted(hours, local, moment), lang)
    if lang == "es":
        return f"{said}, es decir, {there} en tu hora"
    return f"{said}, that is {there} your time"


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ValueError, ZoneInfoNotFoundError):  # a browser's odd value: show the company's only
        return None


def _in_words(windows: Windows, lang: str) -> str:
    runs = _runs(windows)
    groups = [_group(lang, first, last, day_windows) for first, last, day_windows in runs]
    if any(len(day_windows) > 1 for *_, day_windows in runs):
        return "; ".join(groups)  # "and" already joins the windows of a day
    return _join(groups, lang)


def _shifted(hours: BusinessHours, local: ZoneInfo, now: dt.datetime) -> Windows:
    """The opening windows of the week of `now` as clock times in `local` (a window that
    crosses midnight there is split in two)."""
    today = now.astimezone(hours.zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    out: Windows = {}
    for day, windows in hours.windows.items():
        date = monday + dt.timedelta(days=day)
        for start, end in windows:
            begin = dt.datetime.combine(date, start, hours.zone).astimezone(local)
            close = (
                dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), hours.zone)
                if end == _MIDNIGHT
                else dt.datetime.combine(date, end, hours.zone)
            ).astimezone(local)
            last = close - dt.timedelta(microseconds=1)
            if begin.date() == last.date():
                out.setdefault(begin.weekday(), []).append((begin.time(), _end(close)))
            else:
                out.setdefault(begin.weekday(), []).append((begin.time(), _MIDNIGHT))
                out.setdefault(last.weekday(), []).append((dt.time(0), close.time()))
    return out


def _end(close: dt.datetime) -> dt.time:
    return _MIDNIGHT if close.time() == dt.time(0) else close.time()


def _runs(windows: Windows) -> list[tuple[int, int, tuple[Window, ...]]]:
    """Consecutive weekdays with the same windows: (first day, last day, windows)."""
    runs: list[tuple[int, int, tuple[Window, ...]]] = []
    for day in range(7):
        day_windows = tuple(sorted(windows.get(day, [])))
        if not day_windows:
            continue
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == day_windows:
            runs[-1] = (runs[-1][0], day, day_windows)
        else:
            runs.append((day, day, day_windows))
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
    if time == _MIDNIGHT:  # parse_hours stores 'until 24:00' this way
        return "24:00"
    return f"{time.hour}:{time.minute:02d}"


def _join(parts: list[str], lang: str) -> str:
    last = " y " if lang == "es" else " and "
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + last + parts[-1]
