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
from parity.quality.gate import check_quarter
from parity.quality.report import SubmissionVersion, TableResult
from sources import DIALECTS, ReadError, parse_delivery_name
from sources.errors import Problem
from sources.reader import DeliveryName, exact_delivery_name


def check_files(paths: list[Path], *, country: str | None = None, period: str | None = None,
                settings: Settings, with_warehouse: bool = False, config: Config | None = None,
                names: list[str] | None = None) -> list[SubmissionVersion]:
    """One report per (country, quarter) among `paths`, as the warehouse would write it; compared
    with what the warehouse of `settings` holds when `with_warehouse`. A file's country is its name's,
    else `country`, else its folder's (a misnamed file is answered in its country's language).
    `names`: the names the files were delivered under, when `paths` are copies (an upload's)."""
    now = settings.clock.now()
    config = config or settings.config()
    home = settings if with_warehouse else None
    checked: list[tuple[str, str, TableResult, list]] = []  # (country, period, result, skipped)
    tables = []
    for path, given in zip(paths, names or [p.name for p in paths], strict=True):
        inbox = country or (path.parent.name if path.parent.name in DIALECTS else None)
        try:
            name = (parse_delivery_name if names is None else exact_delivery_name)(given, inbox)
            read = read_isolated(path, name=given, inbox_country=country, now=now, timezone=settings.timezone,
                                 limits=settings.limits)
        except ReadError as e:
            named = _name_of(given)
            checked.append((named.country if named else inbox or "?", named.period if named else period or "",
                            TableResult(given, "*", None, "rejected", None, None, e.problems), []))
            continue
        if period and name.period != period:
            for table in read:
                table.problems.append(Problem(file=given, value=name.period, rule="other_quarter",
                                              facts={"period": period}))
        tables += read
    key = load_key(home) if home else secrets.token_bytes(32)  # a throwaway key: nothing to compare with
    use_warehouse = home is not None and home.warehouse.exists()
    with (warehouse.connect(home.warehouse, read_only=True) if use_warehouse else contextlib.nullcontext()) as con:
        frames = {id(t): pseudonymise_table(t.country, t.frame, key) for t in tables if t.frame is not None}
        by_quarter = itertools.groupby(sorted(tables, key=lambda t: (t.country, t.period)), key=lambda t: (t.country, t.period))
        for (cc, quarter_of), quarter in by_quarter:
            quarter = list(quarter)
            verdicts = check_quarter(con, quarter, frames, config.quality)
            for table in quarter:
                problems, rows, skipped = list(table.problems), None, []
                if (verdict := verdicts.get(id(table))) is not None:
                    problems, rows, skipped = problems + verdict.problems, len(frames[id(table)]), verdict.skipped
                status = "rejected" if verdict is None or any(p.severity == "error" for p in problems) else "accepted"
                result = TableResult(table.file, table.table, table.sheet, status, None, rows, problems)
                checked.append((cc, quarter_of, result, skipped))
    versions = []
    for (cc, p), group in itertools.groupby(sorted(checked, key=lambda c: c[:2]), key=lambda c: c[:2]):
        group = list(group)
        zone = config.focal_points[cc].timezone if cc in config.focal_points else settings.timezone
        versions.append(SubmissionVersion(cc, p, now, zone, [g[2] for g in group],
                                          sorted({s for g in group for s in g[3]})))
    return versions


def language_of(country: str, config: Config) -> str:
    """The focal point's language (configured), else the dialect's, else English."""
    if country in config.focal_points:
        return config.focal_points[country].language
    return DIALECTS[country].language if country in DIALECTS else "en"


def _name_of(name: str) -> DeliveryName | None:
    try:
        return parse_delivery_name(name)
    except ReadError:
        return None
