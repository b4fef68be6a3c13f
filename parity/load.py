"""`parity load`: every new submission in the inboxes, now, through the same Dagster jobs."""
import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from parity import warehouse
from parity.config import Settings
from parity.ingest import new_files
from sources import parse_delivery_name
from sources.dialect import DIALECTS

QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class LoadReport:
    rows: list[tuple]  # (country, period, table, sheet, status, version, rows, file, message)
    skipped: list[str]  # files whose quarter has no partition
    transform_ok: bool | None  # None: nothing was accepted, no dbt build ran
    transform_log: Path | None = None

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if r[4] == "rejected")


def pending_partitions(settings: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    from orchestration.partitions import QUARTER_KEYS

    partitions, skipped = set(), []
    for country in sorted(DIALECTS):
        for path in new_files(settings, country):
            period = parse_delivery_name(path).period
            if period in QUARTER_KEYS:
                partitions.add((country, period))
            else:
                skipped.append(f"{country}/{path.name}: quarter {period} has no partition (from 2015Q1)")
    return sorted(partitions, key=lambda cp: (cp[1], cp[0])), skipped


def load(settings: Settings) -> LoadReport:
    """Run the `ingest` job for each (quarter, country) with new files, then `transform` once."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.instance import prepare_dagster_home
    from orchestration.partitions import partition_key

    prepare_dagster_home(settings)
    with warehouse.connect(settings.warehouse) as con:
        warehouse.ensure_schema(con)
        before = con.execute("SELECT coalesce(max(file_id), 0) FROM meta.received_files").fetchone()[0]
    partitions, skipped = pending_partitions(settings)
    instance = DagsterInstance.get()
    ingest = defs.resolve_job_def("ingest")
    for country, period in partitions:
        ingest.execute_in_process(partition_key=partition_key(country, period), instance=instance,
                                  run_config=QUIET_RUN, raise_on_error=False,
                                  tags={"parity/country": country, "parity/period": period, "parity/trigger": "cli"})
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        rows = con.execute(
            """SELECT t.country_code, t.period, t.table_name, t.sheet, t.status, t.version, t.row_count, f.file_name,
                      coalesce(t.message, '')
               FROM meta.submission_tables t JOIN meta.received_files f USING (file_id)
               WHERE f.file_id > ? ORDER BY t.period, t.country_code, t.table_name""", [before]).fetchall()
        rows += con.execute(
            """SELECT country_code, period, '*', NULL, status, NULL, NULL, file_name, message
               FROM meta.received_files WHERE file_id > ? AND status = 'rejected'""", [before]).fetchall()
    transform_ok, transform_log = None, None
    if any(r[4] == "accepted" for r in rows):
        # dagster-dbt writes dbt's event lines to the step's stdout (the UI shows them as the step's
        # log); on the command line they go to a file, and the summary says where.
        transform_log = settings.home / "logs" / f"dbt-build-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
        transform_log.parent.mkdir(parents=True, exist_ok=True)
        with transform_log.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
            result = defs.resolve_job_def("transform").execute_in_process(
                instance=instance, run_config=QUIET_RUN, raise_on_error=False)
        transform_ok = result.success
    return LoadReport(rows, skipped, transform_ok, transform_log)


def print_report(report: LoadReport) -> None:
    if not report.rows:
        print("Nothing new in the inboxes.")
        return
    header = ("country", "period", "table", "status", "version", "rows", "file")
    table = [header] + [(c, p, t + (f" ({s})" if s else ""), st, str(v or ""), str(n if n is not None else ""), f)
                        for c, p, t, s, st, v, n, f, _ in report.rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    for c, p, t, s, st, v, n, f, message in report.rows:
        if st == "rejected":
            print(f"\nREJECTED {c} {p} {t} [{f}]:\n{message}")
    for line in report.skipped:
        print(f"skipped: {line}")
    if report.transform_ok is not None:
        outcome = "done" if report.transform_ok else "FAILED (see the `transform` run in the Dagster UI: make dev)"
        print(f"\ndbt build: {outcome}; its log: {report.transform_log}")
