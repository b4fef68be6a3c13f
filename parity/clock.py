"""The time parity stamps things with and decides by (has a quarter ended, is a submission late).

Production runs on the real time. The demo and the tests may set the clock (the demo lives at
2025-02-20, so that its eight quarters look like a real year): a set clock runs on from the instant
it was set to, and is recorded beside every stamp it makes (`label`). No environment variable or
setting sets it: only code that says so (parity demo, tests), never a production `parity load`.
"""
import datetime as dt
import time
from dataclasses import dataclass, field

REAL = "real"


@dataclass(frozen=True)
class Clock:
    set_to: dt.datetime | None = None  # aware; None: the real time
    _real_at_set: float = field(default_factory=time.time, compare=False, repr=False)

    def __post_init__(self):
        if self.set_to is not None and self.set_to.tzinfo is None:
            raise ValueError("a set clock needs a time zone")

    def now(self) -> dt.datetime:
        real = dt.datetime.now(dt.UTC)
        if self.set_to is None:
            return real
        return self.set_to.astimezone(dt.UTC) + dt.timedelta(seconds=time.time() - self._real_at_set)

    @property
    def is_set(self) -> bool:
        return self.set_to is not None

    @property
    def label(self) -> str:
        """What a stamp records of the clock that made it: 'real', or 'set to <ISO instant>'."""
        return REAL if self.set_to is None else f"set to {self.set_to.isoformat()}"

    @classmethod
    def set_at(cls, instant: dt.datetime | str) -> "Clock":
        return cls(dt.datetime.fromisoformat(instant) if isinstance(instant, str) else instant)

    def encoded(self) -> str:
        """The same clock for another process (a Dagster run's config): '' for the real time."""
        return "" if self.set_to is None else f"{self.set_to.isoformat()} {self._real_at_set!r}"

    @classmethod
    def decoded(cls, text: str) -> "Clock":
        if not text:
            return cls()
        instant, real_at_set = text.split(" ")
        return cls(dt.datetime.fromisoformat(instant), float(real_at_set))
