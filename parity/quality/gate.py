"""The gate every table passes before it is written: its suite, plus the cross-quarter suite for
personnel, turned into Problems that point at file, sheet, row and column as the MoD sees them.

Validation runs on the pseudonymised table (`person_key`, never the registration number), so no
GX result, log or report can hold a number in clear.
"""
import statistics
from dataclasses import dataclass, field

import pandas as pd

from parity.config import QualityThresholds
from parity.messages import Text, rule_placeholders
from parity.quality import history
from parity.quality.suites import run_suite
from sources.dialect import Dialect, dialect_for
from sources.errors import Problem
from sources.period import Period
from sources.ranks import ranks_of
from sources.reader import ExtractTable
from sources.tables import TABLES

EVENT_TABLES_OF_PERSONS = ("separations", "deployments", "trainings")
LAGS = (1, 4)  # the previous quarter, the same quarter a year before


@dataclass(frozen=True)
class CheckSummary:
    """One expectation's outcome, without any value: what asset checks and reports show."""
    suite: str
    rule: str
    column: str | None
    severity: str  # error | warning
    success: bool
    unexpected: int


@dataclass
class Verdict:
    problems: list[Problem] = field(default_factory=list)
    checks: list[CheckSummary] = field(default_factory=list)
    skipped: list[Text] = field(default_factory=list)  # cross-quarter checks without a quarter to compare


def parameters(country: str, period: Period, thresholds: QualityThresholds) -> dict:
    reference = pd.Timestamp(period.last_day)
    return {
        "period": str(period), "previous_period": str(period.previous()),
        "quarter_start": pd.Timestamp(period.first_day), "quarter_end": reference, "reference_date": reference,
        "min_birth_year": reference.year - 70, "max_birth_year": reference.year - 16,
        "ranks": [r.local_rank for r in ranks_of(country)],
        "balance_tolerance": thresholds.balance_tolerance,
    }


def check_table(con, table: ExtractTable, stored: pd.DataFrame, thresholds: QualityThresholds,
                siblings: dict[str, pd.DataFrame] | None = None) -> Verdict:
    """Run `table`'s suites on `stored` (its pseudonymised frame). `con` is the warehouse, or None
    to check what the file alone can show; `siblings` are the tables of the same delivery and quarter
    that were read whole (check_quarter): a delivery's events are compared with its personnel, its
    personnel with its separations, before the warehouse's."""
    period, siblings = Period.parse(table.period), siblings or {}
    params = parameters(table.country, period, thresholds)
    frame, verdict = stored.copy(), Verdict()
    if "rank" in frame:
        category_of = {r.local_rank: r.category for r in ranks_of(table.country)}
        frame["rank_category"] = frame["rank"].map(category_of)
    if table.table in EVENT_TABLES_OF_PERSONS:
        frame["in_snapshot"] = _in_snapshot(con, table.country, period, frame, siblings.get("personnel"), verdict)
    _collect(verdict, table, table.table, frame, params)
    if table.table == "personnel":
        steps, facts = _personnel_history(con, table.country, period, stored, siblings.get("separations"),
                                          thresholds, verdict)
        if len(steps):
            _collect(verdict, table, "personnel_history", steps, params, facts)
    # a cell the reader could not convert is empty here: its problem is the reader's, told once
    dialect = dialect_for(table.country)  # the file's header may be the dialect's other script (SRB)
    told = {(p.row, dialect.key(p.column or "")) for p in table.errors if p.row is not None}
    verdict.problems = [p for p in verdict.problems if (p.row, dialect.key(p.column or "")) not in told]
    return verdict


def check_quarter(con, tables: list[ExtractTable], frames: dict[int, pd.DataFrame],
                  thresholds: QualityThresholds) -> dict[int, Verdict]:
    """The tables of one delivery and quarter, each checked against the others as read (every table
    the reader read without an error), whatever order they were delivered or listed in: a Verdict per
    table read whole (by `id`; `frames` are their pseudonymised frames). A quarter delivered without
    its personnel table, whose personnel was never accepted, is taken as the spec allows, with a
    notice on its first table that it counts as received once its personnel is."""
    country, period = tables[0].country, tables[0].period
    if not any(t.table == "personnel" for t in tables) and not (
            con is not None and history.reported(con, country, Period.parse(period), "personnel")):
        tables[0].problems.append(Problem(file=tables[0].file, rule="personnel_awaited", severity="warning",
                                          facts={"period": period}))
    siblings = {t.table: frames[id(t)] for t in tables if t.accepted}
    return {id(t): check_table(con, t, frames[id(t)], thresholds, siblings) for t in tables if id(t) in frames}


# The checks of one table against another (a delivery's personnel and its events): run again on the
# stored table when the table it is compared with arrives (parity/ingest.py, recheck_dependants).
CROSS_TABLE_RULES = ("person_in_snapshot", "snapshot_balance")


def compared_with(table: str, period: Period) -> list[tuple[Period, str]]:
    """The (quarter, table)s whose cross-table checks read `table` of `period`."""
    if table == "personnel":  # the events of this quarter and the next; the next quarter's balance
        return [(q, t) for q in (period, period.next()) for t in EVENT_TABLES_OF_PERSONS] + [(period.next(), table)]
    if table == "separations":  # the balance of this quarter's personnel
        return [(period, "personnel")]
    return []


def _in_snapshot(con, country: str, period: Period, frame: pd.DataFrame, personnel: pd.DataFrame | None,
                 verdict: Verdict) -> pd.Series:
    """True/False per row where both snapshots exist; None (GX skips it) where one is missing."""
    current = personnel if personnel is not None else (history.snapshot(con, country, period) if con else None)
    previous = history.snapshot(con, country, period.previous()) if con else None
    if current is None or previous is None:
        missing = [str(p) for p, s in ((period, current), (period.previous(), previous)) if s is None]
        verdict.skipped.append(Text("skipped", "person_in_snapshot", {"periods": ", ".join(missing)}))
        return pd.Series(None, index=frame.index, dtype=object)
    known = set(current["person_key"]) | set(previous["person_key"])
    return frame["person_key"].isin(known).astype(object)


def _personnel_history(con, country: str, period: Period, personnel: pd.DataFrame,
                       separations: pd.DataFrame | None, thresholds: QualityThresholds,
                       verdict: Verdict) -> tuple[pd.DataFrame, list[dict]]:
    """One row per comparison with earlier quarters (the ratio columns are checked to be <= 1), and
    the facts of each row that a message shows."""
    if con is None:
        verdict.skipped.append(Text("skipped", "personnel_history", {}))
        return pd.DataFrame(), []
    rows, facts = [], []
    previous = history.snapshot(con, country, period.previous())
    seps = len(separations) if separations is not None else history.separation_count(con, country, period)
    if previous is None or seps is None:
        verdict.skipped.append(Text("skipped", "snapshot_balance", {"previous_period": str(period.previous()),
                                                                    "period": str(period)}))
    else:
        start = pd.Timestamp(period.first_day)
        intakes = int((personnel["entry_date"] >= start).sum())
        expected = len(previous) - seps + intakes
        allowed = max(thresholds.balance_tolerance * len(previous), 1.0)
        rows.append({"category": None, "lag": 1, "measure": "headcount", "found": len(personnel),
                     "reference": expected, "balance_ratio": abs(len(personnel) - expected) / allowed})
        facts.append({"persons": len(personnel), "previous": len(previous), "previous_period": str(period.previous()),
                      "separations": seps, "intakes": intakes, "expected_persons": expected})
    past = history.category_history(con, country, period)
    now = personnel.groupby("category").agg(headcount=("sex", "size"), women=("sex", lambda s: (s == "F").sum()))
    now = now.reset_index().assign(period=str(period))
    series = pd.concat([past, now], ignore_index=True)
    series["share"] = series["women"] / series["headcount"]
    series["index"] = series["period"].map(lambda p: _index(Period.parse(p)))
    at = _index(period)
    labels = dialect_for(country).codes.get("category", {})
    for category, s in series.groupby("category"):
        # quarter index -> {"share", "headcount"}: the loops below look up every earlier quarter for each
        # lag, a dict lookup where a pandas row lookup costs ~50 us
        at_index = s.set_index("index")[["share", "headcount"]].to_dict("index")
        if at not in at_index:
            continue
        for lag in LAGS:
            if at - lag not in at_index:
                continue
            then, current = at_index[at - lag], at_index[at]
            if min(then["headcount"], current["headcount"]) < thresholds.min_category_headcount:
                continue
            earlier = [(at_index[i], at_index[i - lag]) for i in at_index if i < at and i - lag in at_index]
            for measure in ("share", "headcount"):
                steps = [abs(a[measure] - b[measure]) for a, b in earlier]
                if measure == "share":
                    floor = thresholds.share_step_floor
                else:
                    floor = max(thresholds.headcount_step_floor * then["headcount"], thresholds.headcount_step_min_persons)
                allowed = floor
                if len(steps) >= thresholds.min_history:
                    allowed = max(floor, thresholds.step_factor * statistics.median(steps))
                change = current[measure] - then[measure]
                rows.append({"category": category, "lag": lag, "measure": measure, "found": current[measure],
                             "reference": then[measure], f"{measure}_step_ratio": abs(change) / allowed})
                facts.append(_step_facts(labels.get(category, [category])[0], measure, current[measure],
                                         then[measure], allowed, period, _period_at(at - lag)))
    frame = pd.DataFrame(rows)
    for column in ("balance_ratio", "share_step_ratio", "headcount_step_ratio"):
        if column not in frame:
            frame[column] = None
    frame.insert(0, "source_row", range(len(frame)))  # the row of this derived table, for GX's index
    return frame, facts


def _index(p: Period) -> int:
    return p.year * 4 + p.quarter - 1


def _period_at(index: int) -> Period:
    return Period(index // 4, index % 4 + 1)


def _step_facts(category: str, measure: str, now, then, allowed, period: Period, then_period: Period) -> dict:
    if measure == "share":
        return {"category": category, "then": f"{then:.1%}", "then_period": str(then_period), "now": f"{now:.1%}",
                "period": str(period), "allowed": f"{allowed * 100:.1f}"}
    return {"category": category, "then": int(then), "then_period": str(then_period), "now": int(now),
            "period": str(period), "allowed": f"{allowed:.0f}"}


# --- results -> problems ----------------------------------------------------------------------

def _collect(verdict: Verdict, table: ExtractTable, suite: str, frame: pd.DataFrame, params: dict,
             row_facts: list[dict] | None = None) -> None:
    dialect = dialect_for(table.country)
    for result in run_suite(suite, frame, params):
        if result.exception is not None:
            raise RuntimeError(f"suite {suite}: {result.type} could not run: {result.exception}")
        severity = "error" if result.severity == "critical" else "warning"
        kwargs, rule = result.kwargs, result.rule
        column = kwargs.get("column") or kwargs.get("column_A")
        if column == "category" and kwargs.get("column_B") == "rank_category":
            column = "rank"
        indices = result.unexpected_rows
        verdict.checks.append(CheckSummary(suite, rule, column, severity, result.success,
                                           int(result.unexpected_count or (0 if result.success else 1))))
        if result.success:
            continue
        facts = _facts(rule, dialect, table.table, column, {**params, **kwargs})
        common = dict(file=table.file, sheet=table.sheet, severity=severity, rule=rule)
        if suite == "personnel_history":
            for item in indices:
                row = frame.iloc[int(item["source_row"])]
                verdict.problems.append(Problem(facts={**facts, **row_facts[int(row["source_row"])]}, **common))
            continue
        header = _header(dialect, table.table, column)
        if "rank_category" in kwargs.values():  # show the rank as written, not the category it implies
            rank_at = dict(zip(frame["source_row"], frame["rank"]))
            indices = [{**item, "rank_category": rank_at[item["source_row"]]} for item in indices]
        if not indices:  # a table-level expectation (row count)
            verdict.problems.append(Problem(column=header, facts=facts, **common))
        for item in indices:
            verdict.problems.append(Problem(row=int(item["source_row"]), column=header, facts=facts,
                                            value=_shown(dialect, item, kwargs), **common))


def _facts(rule: str, dialect: Dialect, table: str, column: str | None, values: dict) -> dict[str, str]:
    """What the rule's texts name, from the suite's parameters and the expectation's arguments; a
    code list's values as the MoD writes them, not as the warehouse codes them."""
    values = dict(values, country=dialect.country)
    if rule == "code_list" and column:
        code_list = next(c.code_list for c in TABLES[table].columns if c.name == column)
        values["values"] = ", ".join(dialect.labels(code_list))
    return {name: _format(values[name]) for name in rule_placeholders(rule) if name in values}


def _header(dialect: Dialect, table: str, column: str | None) -> str | None:
    if column is None:
        return None
    canonical = {"person_key": "personnel_no", "in_snapshot": "personnel_no", "rank_category": "rank"}.get(column, column)
    return dialect.headers[table].get(canonical)


def _shown(dialect: Dialect, item: dict, kwargs: dict) -> str | None:
    """The value found, as the MoD wrote it; None for a registration number (its pseudonym
    means nothing to anyone, and the row points at it)."""
    columns = [c for c in (kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")) if c]
    if any(c in ("person_key", "in_snapshot") for c in columns):
        return None
    shown = []
    for c in columns:
        value = item.get(c)
        shown.append("" if value is None or pd.isna(value) else _label(dialect, c, value))
    return " / ".join(shown)


def _label(dialect: Dialect, column: str, value) -> str:
    code_list = {"complainant_sex": "sex"}.get(column, column)
    labels = dialect.codes.get(code_list, {}).get(value)
    if labels:
        return labels[0]
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d" if dialect.date_style == "excel" else dialect.date_style)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _format(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():  # GX hands a year bound back as 1954.0
        return str(int(value))
    return str(value)
