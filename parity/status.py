"""Each country's submission status as a small file beside the warehouse, for the focal points' page.

`parity serve` faces the internet and must never wait on the warehouse's lock (a load may hold it for
minutes) nor open the restricted warehouse at all: every ingest writes, after its commit, the file
$PARITY_HOME/status/<CC>.json with what the page shows (each quarter's first accepted personnel and
every submission version with its outcome and quality report), and the page reads only that file.
Whether a quarter is late or missing is not stored: it changes with the clock, so the page derives it
from the due date (parity.deadlines) when it shows it.

The file holds counts, dates, file names and report paths: never a person or a registration number.
"""
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from parity.config import Settings
from parity.deadlines import first_accepted_personnel
from parity.private import write_private

STATUS_DIR = "status"  # in $PARITY_HOME
VERSION_COLUMNS = ("delivery_id", "period", "received_at", "outcome", "tables_accepted", "tables_unchanged",
                   "tables_rejected", "errors", "warnings", "report_path")


@dataclass(frozen=True)
class Version:
    """A submission version as the page lists it."""
    delivery_id: int
    period: str
    received_at: dt.datetime
    outcome: str  # accepted | warnings | partly | rejected
    tables_accepted: int
    tables_unchanged: int
    tables_rejected: int
    errors: int
    warnings: int
    report_path: str  # relative to $PARITY_HOME


@dataclass(frozen=True)
class CountryStatus:
    country: str
    first_accepted: dict[str, dt.datetime] = field(default_factory=dict)  # personnel, by quarter
    versions: list[Version] = field(default_factory=list)  # newest first
    received: frozenset[str] = frozenset()  # the SHA-256 of every file received (a sent file is loaded)

    def report_of(self, delivery_id: int) -> Version | None:
        return next((v for v in self.versions if v.delivery_id == delivery_id), None)


def status_file(settings: Settings, country: str) -> Path:
    return settings.home / STATUS_DIR / f"{country}.json"


def write_status(con, settings: Settings, country: str, now: dt.datetime) -> Path:
    """The country's status from the warehouse (`con`, after the load's commit), replacing the file
    whole (write_private: a reader sees the old file or the new one)."""
    rows = con.execute(f"""SELECT {", ".join(VERSION_COLUMNS)} FROM meta.deliveries WHERE country_code = ?
                           ORDER BY received_at DESC, delivery_id DESC""", [country]).fetchall()
    content = {
        "country": country,
        "written_at": now.isoformat(),
        "first_accepted": {period: at.isoformat() for period, at in first_accepted_personnel(con, country).items()},
        "versions": [{**dict(zip(VERSION_COLUMNS, row)), "received_at": row[2].isoformat()} for row in rows],
        "received": [sha256 for (sha256,) in con.execute(
            "SELECT DISTINCT sha256 FROM meta.received_files WHERE country_code = ? ORDER BY 1", [country]).fetchall()],
    }
    return write_private(status_file(settings, country), json.dumps(content, ensure_ascii=False, indent=1).encode())


def read_status(settings: Settings, country: str) -> CountryStatus:
    """What the last load wrote for `country` (nothing yet: no version, no accepted quarter)."""
    path = status_file(settings, country)
    if not path.exists():
        return CountryStatus(country)
    content = json.loads(path.read_text(encoding="utf-8"))
    return CountryStatus(
        country, {period: dt.datetime.fromisoformat(at) for period, at in content["first_accepted"].items()},
        [Version(**{**v, "received_at": dt.datetime.fromisoformat(v["received_at"])}) for v in content["versions"]],
        frozenset(content["received"]))
