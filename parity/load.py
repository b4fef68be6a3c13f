"""`parity load`: every new submission in the inboxes, now, through the same Dagster jobs.

Loads take turns (a second load waits for the first, then finds what is left); each step holds the
warehouse lock for its own unit of work. A load refuses a key other than the warehouse's before it
writes anything, frees the pool slots of runs whose process died, and rebuilds the marts and
public.duckdb whenever they are older than the raw data, whether or not this load accepted anything.
"""
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from parity import warehouse
from parity.config import Settings
from parity.dbt_server import start as start_dbt_server
from parity.ingest import new_files, refused_line, scan_inboxes
from parity.isolation import start_reader_server
from parity.lock import writer_lock
from parity.private import prepare_home
from parity.pseudonym import check_key, load_key
from parity.quality.server import start_validation_server
from parity.status import write_status
from sources.dialect import DIALECTS
from sources.reader import DeliveryName

LOAD_LOCK = "load.lock"

# Dagster's console log would print each rejection's DagsterAssetCheckFailedError with its stack trace;
# the summary below says what happened (the UI keeps every event).
QUIET_LOG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class LoadReport:
    rows: list[tuple]  # (country, period, table, sheet, status, version, rows, file, message)
    skipped: list[str]  # files not taken, with why (for the engineers)
    transform_ok: bool | None  # None: no dbt build ran (nothing accepted, nothing stale)
    transform_log: Path | None = None
    failures: list[str] = field(default_factory=list)  # runs that failed for another reason than a rejection
    release: tuple | None = None  # the latest release after the build: (id, new in this load, shown, C, D)
    caught_up: list[str] = field(default_factory=list)  # derived layers rebuilt because they were stale
    freed: list[str] = field(default_factory=list)  # pool slots freed from dead runs

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if r[4] == "rejected")


def not_taken(settings: Settings, now: float) -> tuple[dict[str, list[DeliveryName]], list[str]]:
    """The deliveries per country that may be taken now (settled, of a quarter that has ended on
    parity's clock), and a line for each entry of the inboxes not taken (as the inbox sensor decides)."""
    scan = scan_inboxes(settings, now)
    lines = [refused_line(settings, path, why) for path, why in scan.refused]
    lines += [refused_line(settings, path, f"changed in the last {settings.settle_seconds:.0f} s (still being "
                                           f"written?): taken once it has settled") for path in scan.settling]
    return scan.ready, lines


def pending_partitions(settings: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    from orchestration.partitions import QUARTER_KEYS

    ready, skipped = not_taken(settings, time.time())
    partitions = set()
    for country, names in ready.items():
        period_of = {name.path: name.period for name in names}
        for path in new_files(settings, country, files=list(period_of)):
            if (period := period_of[path]) in QUARTER_KEYS:
                partitions.add((country, period))
            else:
                skipped.append(refused_line(settings, path, f"quarter {period} has no partition "
                                                            f"({QUARTER_KEYS[0]} to {QUARTER_KEYS[-1]})"))
    return sorted(partitions, key=lambda cp: (cp[1], cp[0])), skipped


def load(settings: Settings, say=print, build: bool = True) -> LoadReport:
    """Run the `ingest` job for each (quarter, country) with new files, then `transform` once when
    anything was accepted or the derived side is stale (unless `build` is False: the next load builds)."""
    prepare_home(settings.home)
    # Loads take turns on their own lock; each step takes the warehouse lock for its unit of work, after
    # its Dagster pool slot, as a daemon-launched run does. Holding the warehouse lock across the load
    # would invert that order: the load would wait for a slot held by a run waiting for the lock.
    with writer_lock(settings.home / LOAD_LOCK, "parity load", settings.lock_wait,
                     on_wait=lambda who: say(f"waiting for the warehouse: {who} is loading it")):
        return _load(settings, say, build)


def _load(settings: Settings, say, build: bool) -> LoadReport:
    start_reader_server()  # ready on the other core by the first file, while Dagster starts here
    if scan_inboxes(settings, time.time()).ready:  # likewise Great Expectations, for the first table's checks
        start_validation_server()  # (none for a timer's load of empty inboxes: nothing to check)
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.defs.ingest.assets import READ_AHEAD_TAG
    from orchestration.instance import prepare_dagster_home
    from orchestration.partitions import partition_key
    from orchestration.pools import PROCESS_TAG, free_dead_slots, process_identity
    from orchestration.resources import parity_run_config

    run_config = {**QUIET_LOG, **parity_run_config(settings)}  # these settings, not the environment's

    key = load_key(settings)  # no key: refused before anything is written
    dagster_home = prepare_dagster_home(settings)
    with warehouse.writing(settings, "parity load", on_wait=lambda who: say(f"waiting for the warehouse: {who}")) \
            as con:
        warehouse.ensure_schema(con)
        check_key(con, key)
        before = con.execute("SELECT coalesce(max(file_id), 0) FROM meta.received_files").fetchone()[0]
        if build and warehouse.stale_layers(con, settings.public_warehouse.exists()):
            start_dbt_server()  # the derived side is behind already: this load builds, whatever it takes
    partitions, skipped = pending_partitions(settings)
    instance = DagsterInstance.from_config(str(dagster_home))
    freed = free_dead_slots(instance)
    ingest = defs.resolve_job_def("ingest")
    failures = []
    tags = {"parity/trigger": "cli", PROCESS_TAG: process_identity()}
    for i, (country, period) in enumerate(partitions, start=1):
        say(f"[{i}/{len(partitions)}] {country} {period}: archive, read, check, load")
        # each run reads the next partition's files ahead, while its own are checked and written
        coming = {READ_AHEAD_TAG: str(partition_key(*partitions[i]))} if i < len(partitions) else {}
        result = ingest.execute_in_process(partition_key=partition_key(country, period), instance=instance,
                                           run_config=run_config, raise_on_error=False,
                                           tags={**tags, "parity/country": country, "parity/period": period,
                                                 **coming})
        failures += [f"ingest {country} {period}: {error}" for error in run_errors(result)]
        if build and result.get_asset_materialization_events():
            # a table was accepted, so this load builds: dbt starts on the other core while the other
            # partitions are taken (a load that accepts nothing, or does not build, imports no dbt)
            start_dbt_server()
    with warehouse.connect(settings.warehouse, read_only=True, wait=settings.busy_wait) as con:
        rows = con.execute(
            """SELECT t.country_code, t.period, t.table_name, t.sheet, t.status, t.version, t.row_count, f.file_name,
                      coalesce(t.message, '')
               FROM meta.submission_tables t JOIN meta.received_files f USING (file_id)
               WHERE f.file_id > ? ORDER BY t.period, t.country_code, t.table_name""", [before]).fetchall()
        rows += con.execute(
            """SELECT country_code, period, '*', NULL, status, NULL, NULL, file_name, message
               FROM meta.received_files WHERE file_id > ? AND status = 'rejected'""", [before]).fetchall()
        stale = warehouse.stale_layers(con, settings.public_warehouse.exists())
        # every country's status file again: also one a home had before the page existed, or one an ingest
        # committed and could not write
        now = settings.clock.now()
        for country in DIALECTS:
            write_status(con, settings, country, now)
    report = LoadReport(rows, skipped, None, failures=failures, freed=freed)
    accepted = any(r[4] == "accepted" for r in rows)
    if build and (accepted or stale):
        if not accepted:
            report.caught_up = stale
            say(f"{' and '.join(stale)} older than the raw data (a build that did not run or finish): rebuilding")
        built = transform(settings, say, instance, tags)
        report.transform_ok, report.transform_log, report.release = built.ok, built.log, built.release
        report.failures += built.failures
    return report


@dataclass
class Built:
    ok: bool
    log: Path
    failures: list[str]
    release: tuple | None  # as LoadReport.release


def transform(settings: Settings, say=print, instance=None, tags: dict | None = None) -> Built:
    """The `transform` job in process: dbt build, the suppression and its audit, public.duckdb."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.instance import prepare_dagster_home
    from orchestration.pools import PROCESS_TAG, process_identity
    from orchestration.resources import parity_run_config

    start_dbt_server()
    instance = instance or DagsterInstance.from_config(str(prepare_dagster_home(settings)))
    tags = tags or {"parity/trigger": "cli", PROCESS_TAG: process_identity()}
    with warehouse.connect(settings.warehouse, read_only=True, wait=settings.busy_wait) as con:
        released = con.execute("SELECT coalesce(max(release_id), 0) FROM meta.releases").fetchone()[0]
    # dagster-dbt writes dbt's event lines to the step's stdout (the UI shows them as the step's
    # log); on the command line they go to a file, and the summary says where.
    log = settings.home / "logs" / f"dbt-build-{settings.clock.now():%Y%m%d-%H%M%S}.log"
    log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    say(f"dbt build (staging, intermediate, marts and their tests), then public.duckdb; log: {log}")
    with log.open("w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
        result = defs.resolve_job_def("transform").execute_in_process(
            instance=instance, run_config={**QUIET_LOG, **parity_run_config(settings)}, raise_on_error=False,
            tags=tags)
    with warehouse.connect(settings.warehouse, read_only=True, wait=settings.busy_wait) as con:
        latest = con.execute("""SELECT release_id, rows_published, rows_confidential, rows_withheld
                                FROM meta.releases ORDER BY release_id DESC LIMIT 1""").fetchone()
    return Built(result.success, log, [f"transform: {error}" for error in run_errors(result)],
                 (latest[0], latest[0] > released, *latest[1:]) if latest else None)


def run_errors(result) -> list[str]:
    """Why the steps of an in-process run failed, rejections (a failed blocking quality check: the
    summary shows the gate's message) left out."""
    errors = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error is not None:
            error = event.step_failure_data.error
            if error.cls_name != "DagsterAssetCheckFailedError":
                cause = error.cause or error
                errors.append(f"{cause.cls_name}: {cause.message.strip().splitlines()[0] if cause.message else ''}")
    return errors


def print_report(report: LoadReport) -> None:
    for line in report.freed:
        print(f"freed a pool slot: {line}")
    if not report.rows and report.transform_ok is None:
        print("Nothing new in the inboxes.")
    if report.rows:
        header = ("country", "period", "table", "status", "version", "rows", "file")
        table = [header] + [(c, p, t + (f" ({s})" if s else ""), st, str(v or ""), str(n if n is not None else ""), f)
                            for c, p, t, s, st, v, n, f, _ in report.rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        for row in table:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    for c, p, t, _, st, _, _, f, message in report.rows:
        if st == "rejected":
            print(f"\nREJECTED {c} {p} {t} [{f}]:\n{message}")
    for line in report.skipped:
        print(f"not taken: {line}")
    for line in report.failures:
        print(f"FAILED {line}")
    if report.transform_ok is not None:
        outcome = "done" if report.transform_ok else "FAILED (see the `transform` run in the Dagster UI: make dev)"
        print(f"\ndbt build: {outcome}; its log: {report.transform_log}")
    if report.release:
        number, new, shown, confidential, withheld = report.release
        what = ("a new release" if new else "nothing published changed: no new release" if report.transform_ok
                else "still the one published before: this build failed")
        print(f"published: release {number} ({what}; {shown:,} rows shown, {confidential:,} confidential, "
              f"{withheld:,} withheld to protect them)")
