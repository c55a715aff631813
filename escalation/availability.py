"""Business hours: when people answer chats (e.g. 'mon-fri 08:00-20:00; sat 09:00-17:00')."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from escalation.errors import EscalationError

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_RULE = re.compile(
    r"^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$"
)


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Opening windows per weekday (0 = Monday) in one time zone; empty = always open."""

    windows: dict[int, list[tuple[dt.time, dt.time]]]
    zone: ZoneInfo

    def is_open(self, when: dt.datetime) -> bool:
        """True when `when` (aware) falls in an opening window."""
        if not self.windows:
            return True
        local = when.astimezone(self.zone)
        return any(
            start <= local.time() < end for start, end in self.windows.get(local.weekday(), [])
        )


def parse_hours(spec: str, timezone: str) -> BusinessHours:
    """Parse 'mon-fri 08:00-20:00; sat 09:00-17:00' (empty = always open)."""
    try:
        zone = ZoneInfo(timezone)
    except Exception as exc:
        raise EscalationError(
            f"unknown time zone {timezone!r} (use e.g. America/New_York)"
        ) from exc
    windows: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for part in filter(None, (p.strip() for p in spec.lower().split(";"))):
        match = _RULE.match(part)
        if not match or match.group(1) not in _DAYS or (match.group(2) or "mon") not in _DAYS:
            raise EscalationError(f"business hours {part!r}: write e.g. 'mon-fri 08:00-20:00'")
        first = _DAYS.index(match.group(1))
        last = _DAYS.index(match.group(2)) if match.group(2) else first
        start = dt.time(int(match.group(3)), int(match.group(4)))
        end = (
            dt.time(23, 59, 59)
            if match.group(5) == "24"
            else dt.time(int(match.group(5)), int(match.group(6)))
        )
        for day in range(first, last + 1):
            windows.setdefault(day, []).append((start, end))
    return BusinessHours(windows, zone)
