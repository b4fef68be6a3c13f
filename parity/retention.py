"""Retention of clear data: the archive (and the backups) are the only places that hold registration
numbers in clear, so an archived file is kept only as long as the configuration says.

Per country (config/parity.toml): `keep_replaced_days`, how long a file is kept once it holds no
table version the warehouse uses now (a newer version replaced each of its tables; a rejected or
unchanged file from the day it came), and `keep_closed_days`, how long any file is kept after its
quarter closed (the end of its due date). A file goes at the first of the two. The same content
received under several names is archived once: it goes when every one of them may go.

A purge records each file in meta.purged_files (what, when, why) before it deletes it, then deletes
every recorded file still present, in the archive and in each backup of PARITY_BACKUP_DIR: a purge
killed between the two is completed by the next. The trade-off: a purged file's persons cannot be
given new keys by `parity rotate-key` (parity/rotation.py refuses and names the files).
"""
import datetime as dt
from dataclasses import dataclass

from parity import warehouse
from parity.config import Config, FocalPoint, Settings
from parity.deadlines import due_at, due_date
from sources.period import Period


@dataclass(frozen=True)
class Received:
    """One row of meta.received_files, with what the retention rule needs of it."""
    archive_path: str
    country: str
    period: str | None
    file_name: str
    received_at: dt.datetime
    current: bool  # a table version of it is the one the warehouse uses now
    replaced_at: dt.datetime | None  # when its last current table was replaced (None while current)


@dataclass(frozen=True)
class Expiry:
    archive_path: str
    at: dt.datetime | None  # None: kept (a country without a retention rule)
    why: str


def expiry(file: Received, focal_point: FocalPoint | None) -> tuple[dt.datetime | None, str]:
    """When `file` may go, and why: the earlier of the two rules (pure: tested on its own)."""
    if focal_point is None:
        return None, f"{file.country} has no retention rule in the configuration: kept"
    candidates = []
    if file.period is not None:
        period = Period.parse(file.period)
        candidates.append((due_at(focal_point, period) + dt.timedelta(days=focal_point.keep_closed_days),
                           f"quarter {file.period} closed {due_date(focal_point, period):%Y-%m-%d}, kept "
                           f"{focal_point.keep_closed_days} days"))
    if not file.current:
        replaced = file.replaced_at or file.received_at
        candidates.append((replaced + dt.timedelta(days=focal_point.keep_replaced_days),
                           f"replaced or not used since {replaced:%Y-%m-%d}, kept {focal_point.keep_replaced_days} days"))
    return min(candidates) if candidates else (None, "no quarter and still used: kept")


def archive_expiries(files: list[Received], config: Config) -> list[Expiry]:
    """Per archived file: when it may go (the latest of its names' expiries)."""
    by_path: dict[str, list[tuple[dt.datetime | None, str]]] = {}
    for f in files:
        by_path.setdefault(f.archive_path, []).append(expiry(f, config.focal_points.get(f.country)))
    result = []
    for path, expiries in sorted(by_path.items()):
        if any(at is None for at, _ in expiries):
            result.append(Expiry(path, None, next(why for at, why in expiries if at is None)))
        else:
            at, why = max(expiries)
            result.append(Expiry(path, at, why))
    return result


RECEIVED_QUERY = """
WITH versions AS (
    SELECT s.file_id, s.country_code, s.period, s.table_name, s.version, s.submission_table_id,
           (SELECT min(n.received_at) FROM meta.submission_tables n
            WHERE n.status = 'accepted' AND n.country_code = s.country_code AND n.period = s.period
              AND n.table_name = s.table_name AND n.version > s.version) AS replaced_at
    FROM meta.submission_tables s WHERE s.status = 'accepted'
)
SELECT f.archive_path, f.country_code, f.period, f.file_name, f.received_at,
       bool_or(v.submission_table_id IS NOT NULL AND v.replaced_at IS NULL) AS current,
       max(v.replaced_at) AS replaced_at
FROM meta.received_files f LEFT JOIN versions v USING (file_id)
GROUP BY ALL ORDER BY f.archive_path, f.file_name
"""


def received(con) -> list[Received]:
    return [Received(*row) for row in con.execute(RECEIVED_QUERY).fetchall()]


@dataclass
class Purge:
    purged: list[Expiry]  # newly purged by this run
    kept: int  # archived files kept
    next_at: dt.datetime | None  # when the next one expires
    backups: dict[str, int]  # backup folder -> files removed from it


def purge(settings: Settings, now: dt.datetime | None = None, dry_run: bool = False) -> Purge:
    """Apply the retention rule at `now` (parity's clock): record, then delete, every archived file
    that has expired, in the archive and in the backups."""
    from parity.backup import backups_in, remove_purged

    now = now or settings.clock.now()
    config = settings.config()
    with warehouse.writing(settings, "retention purge") as con:
        warehouse.ensure_schema(con)
        done = {p for (p,) in con.execute("SELECT archive_path FROM meta.purged_files").fetchall()}
        expiries = [e for e in archive_expiries(received(con), config) if e.archive_path not in done]
        due = [e for e in expiries if e.at is not None and e.at <= now]
        if dry_run:
            return Purge(due, len(expiries) - len(due), _next(expiries, now), {})
        if due:
            con.executemany("INSERT INTO meta.purged_files VALUES (?, ?, ?, ?)",
                            [[e.archive_path, now, e.at, e.why] for e in due])
        recorded = dict(con.execute("SELECT archive_path, purged_at FROM meta.purged_files").fetchall())
        for path in recorded:
            (settings.home / path).unlink(missing_ok=True)
    backups = {}
    stamps = {path: f"{at:%Y-%m-%dT%H:%M:%S%z}" for path, at in recorded.items()}
    for folder in backups_in(settings.backup_dir):
        if removed := remove_purged(folder, stamps):
            backups[folder.name] = len(removed)
    return Purge(due, len(expiries) - len(due), _next(expiries, now), backups)


def _next(expiries: list[Expiry], now: dt.datetime) -> dt.datetime | None:
    return min((e.at for e in expiries if e.at is not None and e.at > now), default=None)
