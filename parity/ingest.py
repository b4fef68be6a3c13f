"""Inbox -> archive -> registry -> raw tables, for the files of one country (and quarter).

Bad input never loses data: a file is archived before it is read, a rejected table is registered
with its problems and leaves the accepted rows of its (country, quarter, table) as they were, and
every accepted table replaces its partition in one transaction with its registry row.
"""
import datetime as dt
import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from parity import warehouse
from parity.alerts.outbox import flush
from parity.config import Config, Settings
from parity.deadlines import record_timeliness
from parity.pseudonym import load_key, pseudonymise_table
from parity.quality.gate import CheckSummary, check_table
from parity.submissions import record_versions
from sources import Problem, ReadError, parse_delivery_name, read_delivery
from sources.errors import HasProblems
from sources.reader import DeliveryName, ExtractTable

log = logging.getLogger(__name__)


@dataclass
class TableOutcome(HasProblems):
    """What became of one table of a received file."""
    country: str
    period: str | None
    table: str  # "*" when the whole file was rejected before its tables could be told apart
    file: str
    sheet: str | None
    status: str  # accepted | unchanged | rejected
    rows: int | None = None
    version: int | None = None
    problems: list[Problem] = field(default_factory=list)
    checks: list[CheckSummary] = field(default_factory=list)  # the gate's expectations, without values
    skipped: list[str] = field(default_factory=list)  # cross-quarter checks with nothing to compare

    def summary(self) -> str:
        where = self.table + (f" (sheet {self.sheet})" if self.sheet else "")
        version = f" v{self.version}" if self.version else ""
        rows = f" {self.rows} rows" if self.rows is not None else ""
        return f"{self.country} {self.period or '?'} {where}: {self.status}{version}{rows} [{self.file}]"


def inbox_deliveries(settings: Settings, country: str) -> tuple[list[DeliveryName], list[tuple[Path, ReadError]]]:
    """A country's inbox: the files whose names follow the pattern, and the others with why not
    (copy tools write temporary names while they work)."""
    folder = settings.inbox / country
    named, misnamed = [], []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.is_file():
            try:
                named.append(parse_delivery_name(path))
            except ReadError as e:
                misnamed.append((path, e))
    return named, misnamed


def inbox_files(settings: Settings, country: str, period: str | None = None) -> list[Path]:
    """Delivery files in a country's inbox (of `period` if given); other names are skipped with a warning."""
    named, misnamed = inbox_deliveries(settings, country)
    for path, error in misnamed:
        log.warning("ignored: %s", error.problems[0].message())
    return [name.path for name in named if period is None or name.period == period]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def new_files(settings: Settings, country: str, period: str | None = None) -> list[Path]:
    """The inbox files not yet received in exactly this content (to plan runs; ingest_files
    checks again itself)."""
    files = inbox_files(settings, country, period)
    if not files or not settings.warehouse.exists():
        return files
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema='meta'").fetchone()[0]:
            return files
        return [p for p in files if not warehouse.known_file(con, country, p.name, file_sha256(p))]


def archive_file(settings: Settings, country: str, path: Path, sha256: str) -> Path:
    """Keep the file unchanged under its content hash; the same content is stored once."""
    target = settings.archive / country / sha256[:2] / f"{sha256}{path.suffix}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".partial")
        shutil.copyfile(path, partial)
        partial.replace(target)
    return target


def ingest_files(settings: Settings, country: str, files: list[Path], now: dt.datetime | None = None,
                 config: Config | None = None) -> list[TableOutcome]:
    """Receive `files` from `country`'s inbox: archive, read, check, pseudonymise and load each table,
    then record each submission version with its quality report and its focal point's alert.
    A file whose exact content was the last received under its name is skipped: loading twice
    changes nothing, whoever calls."""
    key = load_key(settings)
    now = now or dt.datetime.now(dt.timezone.utc)
    config = config or Config.load()
    outcomes: list[TableOutcome] = []
    with warehouse.connect(settings.warehouse) as con:  # one unit of work, closed before the step ends
        warehouse.ensure_schema(con)
        tables: list[tuple[int, ExtractTable]] = []
        for path in files:
            received = _receive_file(con, settings, country, path, now)
            if isinstance(received, TableOutcome):
                outcomes.append(received)
            elif received is not None:
                tables.extend(received)
        # personnel first: the events of the same delivery are compared with it
        tables.sort(key=lambda ft: ft[1].table != "personnel")
        accepted_now: dict[str, dict[str, pd.DataFrame]] = {}
        for file_id, table in tables:
            outcomes.append(_load_table(con, country, file_id, table, key, now, config,
                                        accepted_now.setdefault(table.period, {})))
        record_versions(con, settings, config, country, outcomes, now)
        if country in config.focal_points:
            record_timeliness(con, config, now, [country])
    flush(settings)
    return outcomes


def _receive_file(con, settings: Settings, country: str, path: Path, now: dt.datetime):
    """Archive and register a file; its tables as read, or the outcome of a file rejected whole,
    or None for a file received before in exactly this content."""
    sha256 = file_sha256(path)
    if warehouse.known_file(con, country, path.name, sha256):
        return None
    stored = archive_file(settings, country, path, sha256)
    name = parse_delivery_name(path)
    try:
        tables = read_delivery(path, inbox_country=country, now=now, timezone=settings.timezone)
        file_error = None
    except ReadError as e:
        tables, file_error = [], e
    file_id = warehouse.register_file(
        con, country=country, period=name.period, file_name=path.name, sha256=sha256,
        size=path.stat().st_size, received_at=now, archive_path=str(stored.relative_to(settings.home)),
        status="rejected" if file_error else "read", message=file_error.summary() if file_error else None,
    )
    if file_error:
        log.error("rejected %s:\n%s", path.name, file_error.summary())
        return TableOutcome(country, name.period, name.table or "*", path.name, None, "rejected",
                            problems=file_error.problems)
    return [(file_id, t) for t in tables]


def _load_table(con, country: str, file_id: int, table: ExtractTable, key: bytes, now: dt.datetime,
                config: Config, accepted_now: dict[str, pd.DataFrame]) -> TableOutcome:
    outcome = TableOutcome(country, table.period, table.table, table.file, table.sheet, "rejected",
                           problems=list(table.problems))
    frame = None
    if table.accepted:
        frame = pseudonymise_table(country, table.frame, key)
        verdict = check_table(con, table, frame, config.quality, accepted_now)
        outcome.problems += verdict.problems
        outcome.checks, outcome.skipped = verdict.checks, verdict.skipped
    common = dict(file_id=file_id, country=country, period=table.period, table=table.table, sheet=table.sheet,
                  received_at=now, errors=len(outcome.errors), warnings=len(outcome.warnings))
    if frame is None or outcome.errors:
        message = ReadError(outcome.errors).summary()
        warehouse.register_table(con, content_hash=None, rows=None, status="rejected", version=None,
                                 message=message, **common)
        log.error("rejected %s:\n%s", outcome.summary(), message)
        return outcome
    digest = warehouse.content_hash(frame)
    outcome.rows = len(frame)
    con.execute("BEGIN TRANSACTION")
    try:
        current = warehouse.current_version(con, country, table.period, table.table)
        if current and current[1] == digest:
            outcome.status, outcome.version = "unchanged", current[0]
            warehouse.register_table(con, content_hash=digest, rows=len(frame), status="unchanged",
                                     version=current[0], message=None, **common)
        else:
            outcome.status, outcome.version = "accepted", (current[0] + 1 if current else 1)
            table_id = warehouse.register_table(con, content_hash=digest, rows=len(frame), status="accepted",
                                                version=outcome.version, message=None, **common)
            warehouse.replace_partition(con, table.table, country, table.period, table_id, frame)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    accepted_now[table.table] = frame
    log.info("%s", outcome.summary())
    return outcome
