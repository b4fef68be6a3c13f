"""`parity check`: a focal point validates a delivery on their own machine before sending it, with
the same reader, the same suites and the same report as the warehouse. Nothing is written.

Without a warehouse it checks what the files alone can show; given one (`--home`), the
cross-quarter checks too, reading it read-only with the warehouse's own pseudonymisation key.
"""
import contextlib
import itertools
import secrets
from pathlib import Path

from parity import warehouse
from parity.config import Config, Settings
from parity.isolation import read_isolated
from parity.pseudonym import load_key, pseudonymise_table
from parity.quality.gate import check_table
from parity.quality.report import SubmissionVersion, TableResult
from sources import ReadError, parse_delivery_name
from sources.errors import Problem


def check_files(paths: list[Path], *, country: str | None = None, period: str | None = None,
                settings: Settings, with_warehouse: bool = False,
                config: Config | None = None) -> list[SubmissionVersion]:
    """One report per (country, quarter) among `paths`, as the warehouse would write it; compared
    with what the warehouse of `settings` holds when `with_warehouse`."""
    now = settings.clock.now()
    config = config or settings.config()
    timezone = settings.timezone
    limits = settings.limits
    home = settings if with_warehouse else None
    checked: list[tuple[str, str, TableResult, list[str]]] = []  # (country, period, result, skipped)
    tables = []
    for path in paths:
        try:
            name = parse_delivery_name(path)
            tables.extend(read_isolated(path, name=path.name, inbox_country=country, now=now, timezone=timezone,
                                        limits=limits))
        except ReadError as e:
            cc, p = _name_of(path)
            checked.append((cc, p, TableResult(path.name, "*", None, "rejected", None, None, e.problems), []))
            continue
        if period and name.period != period:
            for table in (t for t in tables if t.file == path.name):
                table.problems.append(Problem(file=path.name, value=name.period, rule="file_name",
                                              expected=f"a file of the quarter {period}",
                                              fix="Check the quarter in the file name."))
    key = load_key(home) if home else secrets.token_bytes(32)  # a throwaway key: nothing to compare with
    use_warehouse = home is not None and home.warehouse.exists()
    with (warehouse.connect(home.warehouse, read_only=True) if use_warehouse else contextlib.nullcontext()) as con:
        accepted: dict[str, dict] = {}
        for table in sorted(tables, key=lambda t: t.table != "personnel"):  # personnel first, as ingest does
            problems, rows, skipped = list(table.problems), None, []
            if table.accepted:
                frame = pseudonymise_table(table.country, table.frame, key)
                verdict = check_table(con, table, frame, config.quality, accepted.setdefault(table.period, {}))
                problems, rows, skipped = problems + verdict.problems, len(frame), verdict.skipped
            status = "rejected" if table.frame is None or any(p.severity == "error" for p in problems) else "accepted"
            if status == "accepted":
                accepted[table.period][table.table] = frame
            result = TableResult(table.file, table.table, table.sheet, status, None, rows, problems)
            checked.append((table.country, table.period, result, skipped))
    versions = []
    for (cc, p), group in itertools.groupby(sorted(checked, key=lambda c: c[:2]), key=lambda c: c[:2]):
        group = list(group)
        zone = config.focal_points[cc].timezone if cc in config.focal_points else timezone
        versions.append(SubmissionVersion(cc, p, now, zone, [g[2] for g in group],
                                          sorted({s for g in group for s in g[3]})))
    return versions


def _name_of(path: Path) -> tuple[str, str]:
    try:
        name = parse_delivery_name(path)
        return name.country, name.period
    except ReadError:
        return "?", "?"
