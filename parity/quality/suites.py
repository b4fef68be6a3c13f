"""Great Expectations 1.x suites from expectations/*.json, run on pandas DataFrames.

GX 1.x has no DuckDB source, so the gate validates the canonical DataFrames in memory, through one
ephemeral context per process (no project directory, no Data Docs, progress bars off): the load's
validation server's when it started one (parity/quality/server.py), else this process's. Either
way the results come back as plain Outcomes.
"""
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from parity.config import PROJECT_DIR
from parity.quality import gx_configuration, server

SUITE_DIR = PROJECT_DIR / "expectations"


def suite_path(name: str) -> Path:
    return SUITE_DIR / f"{name}.json"


def suite_entries(name: str) -> list[dict]:
    """The expectations as written in the JSON file."""
    return json.loads(suite_path(name).read_text(encoding="utf-8"))["expectations"]


def _quiet_gx() -> None:
    """Before GX is first imported: it would report usage to its servers; parity's machines have no
    internet and want none."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@cache
def _context():
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    gx_configuration.install()  # about half of each validation's time (parity/quality/gx_configuration.py)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def load_suite(name: str):
    """The suite as GX holds it. Every entry becomes an expectation or raises: GX itself would drop
    a malformed one silently (tests/test_quality.py counts them)."""
    _quiet_gx()
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectations = [ExpectationConfiguration(**entry).to_domain_obj() for entry in suite_entries(name)]
    return ExpectationSuite(name=name, expectations=expectations)


@cache
def _batch_definition(name: str):
    context = _context()
    source = context.data_sources.add_or_update_pandas(f"parity_{name}")
    return source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole table")


# What a failing expectation reports: every failing row, identified by `source_row` (never by a value).
FAILING_ROWS = {"result_format": "COMPLETE", "unexpected_index_column_names": ["source_row"],
                "return_unique_unexpected_index_list": False, "partial_unexpected_count": 0}


@dataclass(frozen=True)
class Outcome:
    """One expectation's result, as plain data (it crosses from the validation server)."""
    type: str
    severity: str  # GX's: critical, warning or info
    rule: str  # meta.rule: the catalogue's entry
    kwargs: dict  # with the parameters filled in
    success: bool
    unexpected_count: int | None
    unexpected_rows: list[dict]  # each failing row: its source_row and the values of the expectation's columns
    exception: str | None  # why the expectation could not run


def run_suite(name: str, frame: pd.DataFrame, parameters: dict) -> list[Outcome]:
    """Validate `frame` against suite `name`: one Outcome per expectation, the failing rows identified
    by `source_row` (never by a value). In the validation server if this process started one
    (parity/quality/server.py), else here."""
    outcomes = server.validate(name, frame, parameters)
    return outcomes if outcomes is not None else validate_here(name, frame, parameters)


def prepare() -> None:
    """Import GX and make every suite's context, expectations and batch definition (the validation
    server, before its first request)."""
    for path in sorted(SUITE_DIR.glob("*.json")):
        load_suite(path.stem)
        _batch_definition(path.stem)


def validate_here(name: str, frame: pd.DataFrame, parameters: dict) -> list[Outcome]:
    """run_suite in this process.

    Most tables pass every expectation: a first validation asks only for the verdicts (GX then
    computes no row lists, about half the time); only a suite with a failure is validated again for
    its failing rows. No suite uses `mostly`, so a passing expectation has no unexpected rows either way."""
    batch = _batch_definition(name).get_batch(batch_parameters={"dataframe": frame})
    suite = load_suite(name)
    with gx_configuration.memoised():
        results = batch.validate(suite, expectation_parameters=parameters, result_format="BOOLEAN_ONLY")
    if not results.success:
        with gx_configuration.memoised():
            results = batch.validate(suite, expectation_parameters=parameters, result_format=FAILING_ROWS)
    return [_outcome(result) for result in results.results]


def _outcome(result) -> Outcome:
    config, found, exception = result.expectation_config, result.result or {}, result.exception_info or {}
    return Outcome(type=config.type, severity=str(config.severity.value), rule=config.meta["rule"],
                   kwargs=dict(config.kwargs), success=bool(result.success),
                   unexpected_count=found.get("unexpected_count"),
                   unexpected_rows=list(found.get("unexpected_index_list") or []),
                   exception=exception.get("exception_message") if exception.get("raised_exception") else None)
