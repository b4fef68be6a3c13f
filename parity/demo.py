"""The demo's year, replayed as a year is delivered: each quarter's files reach the inbox, and are
loaded, on the day the MoD sends them (parity's clock set to it), so that timeliness, versions and the
reports show a real quarter. It exists for `make demo`, `make screenshots` and the tests only.

The schedule: each MoD sends some days after its quarter ended (due 30 days after, config/parity.toml);
SRB's 2024Q2 arrives late; MKD's 2024Q3 trainings first arrive with the last third of the rows missing
(a filter left on in the MoD's spreadsheet) and the whole table follows nine days later as version 2.
"""
import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from parity.clock import Clock
from parity.config import Settings
from sources.period import Period

QUARTERS = "2023Q1:2024Q4"
# the demo lives three weeks after its last quarter was due: its eight quarters look like a real year
# (delivered, on time or late) instead of all overdue. Recorded beside every stamp (parity/clock.py).
CLOCK = "2025-02-20T10:00:00+01:00"
DELAY_DAYS = {"BIH": 12, "MKD": 19, "MNE": 25, "SRB": 28}
LATE = {("SRB", "2024Q2"): 41}
CORRECTION = ("MKD", "2024Q3", "trainings", 9)  # country, quarter, table, days after its first delivery
KEPT_SHARE = 2 / 3  # of the corrected table's rows in its first delivery


@dataclass(frozen=True)
class Delivery:
    day: dt.date
    country: str
    period: str
    files: tuple[str, ...]  # names in the generated folder of the country
    partial: str | None = None  # a file sent cut short (the correction's first version)
    correction: bool = False  # a table sent again, whole


def schedule(made: Path, quarters: str = QUARTERS) -> list[Delivery]:
    """The deliveries of the generated files in `made`, in the order they reach the inbox."""
    deliveries = []
    for period in Period.range(quarters):
        for country in sorted(p.name for p in made.iterdir() if p.is_dir()):
            files = tuple(sorted(p.name for p in (made / country).glob(f"{country}_{period}*")))
            if not files:
                continue
            day = period.last_day + dt.timedelta(days=LATE.get((country, str(period)), DELAY_DAYS.get(country, 20)))
            corrected, quarter, table, later = CORRECTION
            if (country, str(period)) == (corrected, quarter):
                cut = next(name for name in files if name.endswith(f"_{table}.csv"))
                deliveries += [Delivery(day, country, str(period), files, partial=cut),
                               Delivery(day + dt.timedelta(days=later), country, str(period), (cut,), correction=True)]
            else:
                deliveries.append(Delivery(day, country, str(period), files))
    return sorted(deliveries, key=lambda d: (d.day, d.country))


def _cut_short(source: Path, target: Path) -> None:
    lines = source.read_bytes().splitlines(keepends=True)
    target.write_bytes(b"".join(lines[: 1 + int((len(lines) - 1) * KEPT_SHARE)]))


def replay(settings: Settings, made: Path, quarters: str = QUARTERS, say: Callable[[str], None] = print,
           build: bool = True):
    """Deliver and load the generated files of `made` on their days; the marts are built once at the
    end, on the settings' clock. Returns the load report of the whole year."""
    from parity.load import LoadReport, load

    rows, failures = [], []
    for delivery in schedule(made, quarters):
        inbox = settings.inbox / delivery.country
        inbox.mkdir(parents=True, exist_ok=True)
        for name in delivery.files:
            if name == delivery.partial:
                _cut_short(made / delivery.country / name, inbox / name)
            else:
                (made / delivery.country / name).replace(inbox / name)
        say(f"{delivery.day}: {delivery.country} delivers {delivery.period}"
            + (" (a correction)" if delivery.correction else ""))
        at = dt.datetime.combine(delivery.day, dt.time(10), tzinfo=ZoneInfo(settings.timezone))
        # written and closed by this very process: complete, nothing to wait for (a MoD's upload is not)
        delivered = load(dataclasses.replace(settings, settle_seconds=0, clock=Clock.set_at(at)), say=lambda _: None,
                         build=False)
        rows += delivered.rows
        failures += delivered.failures
    final = load(settings, say=say, build=build)
    return LoadReport(rows, final.skipped, final.transform_ok, final.transform_log, failures + final.failures)
