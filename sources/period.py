"""Quarters as the spec names them (`2024Q3`), with their first and last days."""
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int

    @classmethod
    def parse(cls, label: str) -> "Period":
        match = _PERIOD.match(label)
        if not match:
            raise ValueError(f"{label!r} is not a quarter like 2024Q3")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of_date(cls, day: dt.date) -> "Period":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def range(cls, spec: str) -> list["Period"]:
        """`2023Q1:2024Q4` (inclusive) or a single quarter."""
        first, _, last = spec.partition(":")
        start, end = cls.parse(first), cls.parse(last or first)
        if end < start:
            raise ValueError(f"{spec!r}: the last quarter comes before the first")
        out, p = [], start
        while p <= end:
            out.append(p)
            p = p.next()
        return out

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    def next(self) -> "Period":
        return Period(self.year + (self.quarter == 4), self.quarter % 4 + 1)

    def previous(self) -> "Period":
        return Period(self.year - (self.quarter == 1), (self.quarter - 2) % 4 + 1)

    def has_ended(self, now: dt.datetime, timezone: str) -> bool:
        """Has the quarter's last day passed on the warehouse's clock in `timezone`?"""
        return now.astimezone(ZoneInfo(timezone)).date() > self.last_day
