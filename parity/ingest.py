"""Inbox -> archive -> registry -> raw tables, for the files of one country (and quarter).

Bad input never loses data: a file is archived before it is read (and the archived copy is what is
read, in a child process with limits), a rejected table is registered with its problems and leaves
the accepted rows of its (country, quarter, table) as they were, and a run's files, registry rows
and raw partitions are committed in one transaction.
"""
import datetime as dt
import itertools
import logging
import os
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from parity import warehouse
from parity.alerts.outbox import flush_with
from parity.config import Config, Settings
from parity.deadlines import record_timeliness
from parity.faults import fault_point
from parity.isolation import ReadRequest, read_each_isolated
from parity.private import copy_private, private_dir, sha256_of
from parity.pseudonym import check_key, load_key, pseudonymise_table, record_key
from parity.quality.gate import CROSS_TABLE_RULES, CheckSummary, Verdict, check_quarter, check_table, compared_with
from parity.quality.report import Recheck, TableResult
from parity.status import write_status
from parity.submissions import record_versions
from sources import DIALECTS, Problem, ReadError, parse_delivery_name
from sources.errors import HasProblems
from sources.period import Period
from sources.reader import DeliveryName, ExtractTable
from sources.redact import shown

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

    def result(self, problems: bool = True) -> TableResult:
        """The table as its submission version's report shows it (with or without its problems)."""
        return TableResult(self.file, self.table, self.sheet, self.status, self.version, self.rows,
                           self.problems if problems else [])

    def summary(self) -> str:
        where = self.table + (f" (sheet {self.sheet})" if self.sheet else "")
        version = f" v{self.version}" if self.version else ""
        rows = f" {self.rows} rows" if self.rows is not None else ""
        return f"{self.country} {self.period or '?'} {where}: {self.status}{version}{rows} [{self.file}]"


def inbox_deliveries(settings: Settings, country: str) -> tuple[list[DeliveryName], list[tuple[Path, str]]]:
    """A country's inbox: the regular files whose names follow the pattern, and what is not taken,
    with why (copy tools write temporary names while they work; links and devices are never read)."""
    folder = settings.inbox / country
    named, refused = [], []
    for path in sorted(folder.iterdir()) if folder.is_dir() and not folder.is_symlink() else []:
        why_not = not_a_delivery_file(path)
        if why_not is None:
            try:
                named.append(parse_delivery_name(path))
                continue
            except ReadError:
                why_not = "its file name does not follow the agreed pattern"
        refused.append((path, why_not))
    return named, refused


def stray_entries(settings: Settings) -> list[tuple[Path, str]]:
    """What lies in the inbox beside the configured countries' folders."""
    if not settings.inbox.is_dir():
        return []
    return [(path, "a symbolic link: not followed" if path.is_symlink() else
             "not a folder of a configured country" if path.is_dir() else "a file outside the country folders")
            for path in sorted(settings.inbox.iterdir()) if path.name not in DIALECTS or not path.is_dir()
            or path.is_symlink()]


def not_a_delivery_file(path: Path) -> str | None:
    """Why `path` may not be read as a delivery (None: a regular file with no other name)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link: not followed"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a folder, device, pipe or socket): not read"
    if info.st_nlink != 1:
        return "a file with another name (hard link) elsewhere: not read"
    return None


def quarter_not_ended(settings: Settings, period: str, now: dt.datetime) -> str | None:
    """Why a delivery of `period` waits (None: it may be taken): its quarter has not ended on parity's
    clock. `parity load` and the inbox sensor list it and take it once the quarter has ended."""
    if Period.parse(period).has_ended(now, settings.timezone):
        return None
    return f"quarter {period} has not ended yet ({settings.timezone} time): taken once it has"


@dataclass
class InboxScan:
    """The inboxes now, as `parity load` and the inbox sensor both see them."""
    ready: dict[str, list[DeliveryName]]  # per country folder: settled files of quarters that have ended
    settling: list[Path]  # changed in the last settle_seconds (still being written?): taken once they stand still
    refused: list[tuple[Path, str]]  # not taken, with why: not a delivery file, or its quarter has not ended


def scan_inboxes(settings: Settings, now: float) -> InboxScan:
    """Sort every entry of the inboxes (`now`: the wall clock, for the settle time; quarters end on
    parity's clock). A file of a quarter that has not ended is not hashed: it waits, and is looked at
    again at every scan."""
    scan = InboxScan({}, [], stray_entries(settings))
    clock_now = settings.clock.now()
    for country in sorted(DIALECTS):
        named, refused = inbox_deliveries(settings, country)
        scan.refused += refused
        for name in named:
            if now - name.path.lstat().st_mtime < settings.settle_seconds:
                scan.settling.append(name.path)
            elif why := quarter_not_ended(settings, name.period, clock_now):
                scan.refused.append((name.path, why))
            else:
                scan.ready.setdefault(country, []).append(name)
    return scan


def refused_line(settings: Settings, path: Path, why: str) -> str:
    """One line for the engineers: where (masked, printable) and why a file was not taken."""
    return f"{shown(str(path.relative_to(settings.inbox)), 120)}: {why}"


def inbox_files(settings: Settings, country: str, period: str | None = None) -> list[Path]:
    """Delivery files in a country's inbox (of `period` if given); what is not taken is logged."""
    named, refused = inbox_deliveries(settings, country)
    for path, why in refused:
        log.warning("not taken: %s", refused_line(settings, path, why))
    return [name.path for name in named if period is None or name.period == period]


def _open_delivery(path: Path) -> int:
    """A file descriptor of `path`, never through a link and never of anything but a regular file
    with one name (checked on the open file: the inbox may change between listing and reading)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:  # gone since it was listed, or replaced by a link (O_NOFOLLOW)
        raise NotADeliveryFile(f"could not be opened as a regular file ({e.strerror})") from e
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise NotADeliveryFile(not_a_delivery_file(path) or "not a regular file")
    return fd


class NotADeliveryFile(OSError):
    pass


def file_sha256(path: Path) -> str:
    with os.fdopen(_open_delivery(path), "rb") as f:
        return sha256_of(f)


def new_files(settings: Settings, country: str, period: str | None = None,
              files: list[Path] | None = None) -> list[Path]:
    """The inbox files (or `files` of it) not yet received in exactly this content (to plan runs;
    ingest_files checks again itself)."""
    files = inbox_files(settings, country, period) if files is None else files
    if not files:
        return files
    last = received_contents(settings)
    return [p for p in files if last.get((country, p.name)) != file_sha256(p)]


def received_contents(settings: Settings, wait: float | None = None) -> dict[tuple[str, str], str]:
    """(country, file name) -> sha256 of the last content received under that name ({} before the
    first load), read-only; WarehouseBusy when a writer holds the file longer than `wait` seconds
    (default PARITY_BUSY_WAIT)."""
    if not settings.warehouse.exists():
        return {}
    with warehouse.connect(settings.warehouse, read_only=True, wait=settings.busy_wait if wait is None else wait) as con:
        if not warehouse.has_meta_table(con, "received_files"):
            return {}
        return warehouse.last_received(con)


def archive_copy(settings: Settings, country: str, path: Path) -> tuple[Path, str] | None:
    """Copy a delivery into the archive under its content hash (owner-only, the same content stored
    once) and return (archived copy, sha256). The copy, not the inbox file, is what is read: what was
    read is what is kept. None when the file changed while it was copied (still being written)."""
    folder = private_dir(settings.archive / country)
    for leftover in folder.glob(".*.partial"):  # a killed copy's (the caller holds the warehouse lock)
        leftover.unlink()
    partial = folder / f".{os.getpid()}.partial"
    with os.fdopen(_open_delivery(path), "rb") as source:
        before = os.fstat(source.fileno())
        sha256 = copy_private(source, partial)
        after = os.fstat(source.fileno())
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
        partial.unlink()
        return None
    target = private_dir(folder / sha256[:2]) / f"{sha256}{path.suffix}"
    partial.replace(target)
    return target, sha256


def archive_path(settings: Settings, copy: Path) -> str:
    """An archived copy as the registry names it (meta.received_files.archive_path): relative to the home,
    which may move (a restore on another machine path)."""
    return str(copy.relative_to(settings.home))


def ingest_files(settings: Settings, country: str, files: list[Path], now: dt.datetime | None = None,
                 config: Config | None = None, read_ahead: tuple[str, list[Path]] | None = None
                 ) -> list[TableOutcome]:
    """Receive `files` from `country`'s inbox: archive, read, check, pseudonymise and load each table,
    then record each submission version with its quality report and its focal point's alert.

    One transaction: the files are registered together with what was stored from them, so a process
    killed at any point leaves the warehouse as it was, and the next load takes the files again. A
    file whose exact content was the last received under its name is skipped: loading twice changes
    nothing, whoever calls.

    `read_ahead`: (country, files) of the submission this process takes next (`parity load` says
    which): once these files are read, those are archived and read in the background while these are
    checked and written; the next call takes what was read (_ReadAhead)."""
    key = load_key(settings)
    now = now or settings.clock.now()
    config = config or settings.config()
    outcomes: list[TableOutcome] = []
    with warehouse.writing(settings, f"ingest {country}") as con:  # one unit of work, closed before the step ends
        warehouse.ensure_schema(con)
        check_key(con, key)  # another key is refused before anything is written
        con.execute("BEGIN TRANSACTION")
        try:
            record_key(con, key, now)
            rejected, tables = _receive_files(con, settings, country, files, now)
            if read_ahead is not None:
                _ReadAhead.start(con, settings, *read_ahead, now)
            outcomes += rejected
            frames = {id(t): pseudonymise_table(country, t.frame, key) for _, t in tables if t.frame is not None}
            # quarter by quarter: a later quarter is compared with the earlier one loaded before it
            for _, quarter in itertools.groupby(sorted(tables, key=lambda ft: ft[1].period), key=lambda ft: ft[1].period):
                quarter = list(quarter)
                verdicts = check_quarter(con, [t for _, t in quarter], frames, config.quality)
                for file_id, table in quarter:
                    outcomes.append(_load_table(con, country, file_id, table, frames.get(id(table)),
                                                verdicts.get(id(table)), now))
            rechecks = recheck_dependants(con, country, outcomes, config)
            record_versions(con, settings, config, country, outcomes, now, rechecks)
            if country in config.focal_points:
                record_timeliness(con, config, now, [country])
            fault_point("write")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        flush_with(con, settings)  # the alerts just queued, after the commit, on the same connection
        write_status(con, settings, country, now)  # for the focal points' page (parity/status.py), once committed
    return outcomes


class _ReadAhead:
    """Files of the next submission read in the background, in this process, while the current one is
    checked and written: the reading child works on the other core, which the checks leave idle. What
    is read is still the archived copy, archived under the warehouse lock by the run before; the run
    that receives the files archives them again (the same content, the same path) and takes the
    outcome of a file only for exactly that copy and content, read with the same name, country, time
    zone and limits, of a quarter that had ended when it was read (the only check that reads the
    time). Whatever was not read ahead, or differs, is read then as before: the verdicts are those of
    reading the file then."""

    _pending: dict[tuple[str, str], tuple["_ReadAhead", int]] = {}  # (copy, sha256) -> its read, its index
    _lock = threading.Lock()

    def __init__(self, requests: list[ReadRequest], limits):
        self.requests, self.limits = requests, limits
        self.outcomes: list | None = None
        self.thread = threading.Thread(target=self._read, name="parity-read-ahead", daemon=True)

    def _read(self) -> None:
        try:
            self.outcomes = read_each_isolated(self.requests, self.limits)
        except Exception as e:  # noqa: BLE001 - the run that receives the files reads them itself
            # the type only, as the reader's own failures: an exception's text may quote a file
            log.warning("reading ahead failed (%s): the files are read when their run receives them", type(e).__name__)

    @classmethod
    def start(cls, con, settings: Settings, country: str, files: list[Path], now: dt.datetime) -> None:
        """Archive `files` (the caller holds the warehouse lock) and read those not received before.
        A file that cannot be archived now is left to its own run, which says why."""
        def archived(path: Path) -> tuple[Path, str] | None:
            try:
                return archive_copy(settings, country, path)
            except OSError:
                return None
        coming = _unreceived(con, country, files, archived)
        if not coming:
            return
        reading = cls([ReadRequest(stored, path.name, country, now, settings.timezone) for path, stored, _ in coming],
                      settings.limits)
        with cls._lock:
            cls._pending = {(str(stored), sha256): (reading, i) for i, (_, stored, sha256) in enumerate(coming)}
        reading.thread.start()

    @classmethod
    def claim(cls) -> dict:
        """What was read ahead for the run that receives files now (the next run gets nothing of it)."""
        with cls._lock:
            pending, cls._pending = cls._pending, {}
        return pending

    @staticmethod
    def discard(con, settings: Settings, pending: dict, keep: set[str]) -> None:
        """Delete the copies archived ahead that this run does not receive (the file changed or went
        since) and no registered file names: clear data is kept only for what the registry holds, whose
        retention rule purges it. The caller holds the warehouse lock."""
        for copy, _ in pending:
            path = Path(copy)
            if copy not in keep and not con.execute("SELECT count(*) FROM meta.received_files WHERE archive_path = ?",
                                                    [archive_path(settings, path)]).fetchone()[0]:
                path.unlink(missing_ok=True)

    @staticmethod
    def outcomes(pending: dict, requests: list[ReadRequest], sha256s: list[str], limits) -> list:
        """For each request, what reading ahead gave for it, or None (to be read now)."""
        found = []
        for request, sha256 in zip(requests, sha256s, strict=True):
            reading, i = pending.get((str(request.path), sha256), (None, None))
            outcome = None
            if reading is not None:
                reading.thread.join()
                earlier = reading.requests[i]
                if (reading.outcomes is not None and reading.limits == limits
                        and (earlier.name, earlier.inbox_country, earlier.timezone)
                        == (request.name, request.inbox_country, request.timezone)
                        and Period.parse(parse_delivery_name(request.name).period).has_ended(earlier.now,
                                                                                              earlier.timezone)):
                    outcome = reading.outcomes[i]
            found.append(outcome)
        return found


def _unreceived(con, country: str, files: list[Path], archive) -> list[tuple[Path, Path, str]]:
    """(file, archived copy, sha256) of the `files` that `archive` copied (it returns None for a file
    not taken now) and whose content was not the last received under their name."""
    unreceived = []
    for path in files:
        copied = archive(path)
        if copied is not None and not warehouse.known_file(con, country, path.name, copied[1]):
            unreceived.append((path, *copied))
    return unreceived


def _archive(settings: Settings, country: str, path: Path) -> tuple[Path, str] | None:
    """archive_copy, or None (with why, logged) for a file not taken now."""
    try:
        copied = archive_copy(settings, country, path)
    except NotADeliveryFile as e:  # replaced by a link, a device, or gone since it was listed
        log.warning("not taken: %s", refused_line(settings, path, str(e)))
        return None
    # any other OSError is the archive's (full, unwritable, not a folder): the run fails and says so
    if copied is None:
        log.warning("not taken: %s", refused_line(settings, path, "it changed while being copied (still being "
                                                                     "written?): taken at the next load"))
    return copied


def _receive_files(con, settings: Settings, country: str, files: list[Path], now: dt.datetime
                   ) -> tuple[list[TableOutcome], list[tuple[int, ExtractTable]]]:
    """Archive and register the files not received before in exactly this content: the outcomes of
    files rejected whole, and the tables of the others as read (by read_each_isolated: the
    archived copies, in as few child processes as their limits allow)."""
    ahead = _ReadAhead.claim()
    arrived = _unreceived(con, country, files, lambda path: _archive(settings, country, path))
    _ReadAhead.discard(con, settings, ahead, keep={str(stored) for _, stored, _ in arrived})
    if not arrived:
        return [], []
    fault_point("read")
    requests = [ReadRequest(stored, path.name, country, now, settings.timezone) for path, stored, _ in arrived]
    read = _ReadAhead.outcomes(ahead, requests, [sha256 for _, _, sha256 in arrived], settings.limits)
    if missing := [i for i, result in enumerate(read) if result is None]:
        for i, result in zip(missing, read_each_isolated([requests[i] for i in missing], settings.limits),
                             strict=True):
            read[i] = result
    rejected, tables = [], []
    for (path, stored, sha256), result in zip(arrived, read, strict=True):
        file_error = result if isinstance(result, ReadError) else None
        name = parse_delivery_name(path)
        file_id = warehouse.register_file(
            con, country=country, period=name.period, file_name=path.name, sha256=sha256,
            size=stored.stat().st_size, received_at=now, archive_path=archive_path(settings, stored),
            status="rejected" if file_error else "read", message=file_error.summary() if file_error else None,
        )
        if file_error:
            log.error("rejected %s:\n%s", path.name, file_error.summary())
            rejected.append(TableOutcome(country, name.period, name.table or "*", path.name, None, "rejected",
                                         problems=file_error.problems))
        else:
            tables += [(file_id, t) for t in result]
    return rejected, tables


def recheck_dependants(con, country: str, outcomes: list[TableOutcome], config: Config) -> list[tuple[str, Recheck]]:
    """For each table accepted now, the stored tables whose cross-table checks read it (events that
    came before their personnel, a personnel table whose separations were corrected), checked again
    on their stored rows; only what is not part of this delivery. Each with the quarter of the table it
    was compared with: its report tells the result."""
    delivered = {(o.period, o.table) for o in outcomes}
    rechecks = []
    for arrived in (o for o in outcomes if o.status == "accepted"):
        for period, table in compared_with(arrived.table, Period.parse(arrived.period)):
            if (str(period), table) in delivered:
                continue
            delivered.add((str(period), table))  # checked again once, against the first table that needs it
            stored = con.execute(
                """SELECT c.version, c.received_at, c.sheet, f.file_name FROM meta.current_tables c
                   JOIN meta.received_files f USING (file_id) WHERE c.country_code = ? AND c.period = ? AND c.table_name = ?""",
                [country, str(period), table]).fetchone()
            if stored is None:
                continue
            version, received_at, sheet, file_name = stored
            frame = con.execute(f"SELECT * EXCLUDE (country_code, period, submission_table_id) FROM raw.{table} "
                                "WHERE country_code = ? AND period = ? ORDER BY source_row", [country, str(period)]).df()
            read = ExtractTable(country, str(period), table, file_name, sheet, None)
            verdict = check_table(con, read, frame, config.quality)
            rechecks.append((arrived.period, Recheck(
                file_name, table, version, received_at, [p for p in verdict.problems if p.rule in CROSS_TABLE_RULES],
                [s for s in verdict.skipped if s.key in CROSS_TABLE_RULES],
                arrived.result(problems=False))))
    return rechecks


def _load_table(con, country: str, file_id: int, table: ExtractTable, frame: pd.DataFrame | None,
                verdict: Verdict | None, now: dt.datetime) -> TableOutcome:
    """Register the table and, when it has no error, store it. `frame` and `verdict` are None for a
    table the reader could not read whole; one read with cells in error went through every suite."""
    outcome = TableOutcome(country, table.period, table.table, table.file, table.sheet, "rejected",
                           problems=list(table.problems))
    if verdict is not None:
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
    log.info("%s", outcome.summary())
    return outcome
