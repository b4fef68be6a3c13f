"""The quality gate: every rule of the spec and every cross-quarter check, each broken by a file.

Each case starts from the MNE samples of 2024Q3 and 2024Q4 accepted (loaded once for the module, a
copy per case), then delivers one table again with one cell broken, and checks the message (rule,
row, column, value) and that the accepted data did not move.
"""
import csv
import io
import json
from pathlib import Path

import duckdb
import pytest

from parity.config import Config, QualityThresholds
from parity.ingest import ingest_files
from parity.messages import catalogue
from parity.quality.suites import SUITE_DIR, load_suite, suite_entries
from sources.period import Period

from conftest import NOW, copy_home, deliver, point_at, sample_files

EXPECTATION_COUNTS = {"personnel": 19, "recruitment": 12, "separations": 14, "deployments": 19,
                      "trainings": 8, "complaints": 14, "personnel_history": 3}


def test_every_suite_keeps_every_expectation():
    """GX drops malformed expectations silently: the loaded suites hold exactly what the JSON says."""
    assert sorted(p.stem for p in SUITE_DIR.glob("*.json")) == sorted(EXPECTATION_COUNTS)
    for name, count in EXPECTATION_COUNTS.items():
        assert len(suite_entries(name)) == count, name
        suite = load_suite(name)
        assert len(suite.expectations) == count, name
        for entry, expectation in zip(suite_entries(name), suite.expectations):
            assert expectation.expectation_type == entry["type"]
            # its texts are the catalogue's, in every language (tests/test_messages.py)
            assert set(expectation.meta) == {"rule"}, (name, entry["type"])
            assert f"{expectation.meta['rule']}.expected" in catalogue("en")["rules"], (name, entry["type"])


def test_no_expectation_passes_with_failing_rows():
    """run_suite asks GX for the failing rows only when an expectation failed: that counts every
    unexpected row only while no expectation may pass with some (`mostly`)."""
    for name in EXPECTATION_COUNTS:
        for entry in suite_entries(name):
            assert "mostly" not in entry.get("kwargs", {}), (name, entry["type"])


def test_a_malformed_expectation_is_refused_not_dropped(tmp_path, monkeypatch):
    import parity.quality.suites as suites

    broken = {"name": "trainings", "expectations": suite_entries("trainings") + [
        {"type": "expect_column_values_to_be_in_sett", "kwargs": {"column": "course"}, "meta": {}}]}
    (tmp_path / "trainings.json").write_text(json.dumps(broken))
    monkeypatch.setattr(suites, "SUITE_DIR", tmp_path)
    suites.load_suite.cache_clear()
    try:
        from great_expectations.exceptions import ExpectationNotFoundError

        with pytest.raises(ExpectationNotFoundError, match="expect_column_values_to_be_in_sett"):
            suites.load_suite("trainings")
    finally:
        suites.load_suite.cache_clear()


# --- helpers -------------------------------------------------------------------------------------

def _broken(frame):
    """A copy of `frame` with its first rows broken in every column: text that is in no code list,
    dates two centuries off, numbers far out of range, a duplicated first row."""
    import pandas as pd

    broken = pd.concat([frame, frame.head(1)], ignore_index=True) if len(frame) else frame.copy()
    for column in broken.columns:
        if column == "source_row":
            continue
        if pd.api.types.is_datetime64_any_dtype(broken[column]):
            broken.loc[:1, column] = pd.Timestamp("1815-06-18")
        elif pd.api.types.is_numeric_dtype(broken[column]):
            broken.loc[:1, column] = -1
        else:
            broken.loc[:1, column] = "??"
    return broken


def test_one_configuration_per_validation_changes_no_result(monkeypatch):
    """GX's own Expectation.configuration and row-condition filter, and the ones parity makes once per
    validation (parity/quality/gx_configuration.py), give the same verdicts, problems and failing rows,
    on clean and on broken tables of every suite."""
    import contextlib

    from parity.pseudonym import pseudonymise_table
    from parity.quality import gx_configuration, server
    from parity.quality.gate import check_table
    from sources import read_delivery

    monkeypatch.setattr(server, "validate", lambda *_: None)  # in this process, whatever a load started here
    tables = [t for f in sample_files("MNE", "2024Q4") for t in read_delivery(f, now=NOW)]
    frames = [(t, frame) for t in tables if t.accepted
              for clean in [pseudonymise_table(t.country, t.frame, b"k" * 32)] for frame in (clean, _broken(clean))]
    assert {t.table for t, _ in frames} == set(EXPECTATION_COUNTS) - {"personnel_history"}

    def verdicts():
        return [check_table(None, t, frame, QualityThresholds()) for t, frame in frames]

    memoised = verdicts()
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import Expectation

    assert Expectation.configuration.fget.__wrapped__  # installed on the pinned GX
    assert PandasExecutionEngine._apply_row_condition_filter.__wrapped__
    monkeypatch.setattr(gx_configuration, "memoised", contextlib.nullcontext)  # GX's own getter and filter
    own = verdicts()
    assert sum(len(v.problems) for v in own) > 20 and any(not c.success for v in own for c in v.checks)
    for (t, _), ours, theirs in zip(frames, memoised, own):
        assert ours.checks == theirs.checks, t.file
        assert [p.__dict__ for p in ours.problems] == [p.__dict__ for p in theirs.problems], t.file


def test_the_validation_server_gives_the_verdicts_of_this_process_and_a_dead_one_is_replaced_by_it(monkeypatch):
    """parity load validates in a process of its own (parity/quality/server.py): the same verdicts,
    problems and failing rows as in process, on clean and broken tables of every suite; once that
    process is gone, the suites run in process and nothing changes."""
    from parity.pseudonym import pseudonymise_table
    from parity.quality import server
    from parity.quality.gate import check_table
    from sources import read_delivery

    tables = [t for f in sample_files("BIH", "2024Q4") for t in read_delivery(f, now=NOW)]
    frames = [(t, frame) for t in tables if t.accepted
              for clean in [pseudonymise_table(t.country, t.frame, b"k" * 32)] for frame in (clean, _broken(clean))]

    def verdicts():
        return [(v.checks, [p.__dict__ for p in v.problems])
                for v in (check_table(None, t, frame, QualityThresholds()) for t, frame in frames)]

    monkeypatch.setattr(server, "validate", lambda *_: None)  # in this process, whatever a load started here
    here = verdicts()
    assert sum(len(problems) for _, problems in here) > 20
    served = []
    validating = server.ValidationServer()
    try:
        def validate(*args):
            outcomes = validating.validate(*args)
            served.append(outcomes is not None)
            return outcomes
        monkeypatch.setattr(server, "validate", validate)
        assert verdicts() == here
        assert served and all(served)  # every suite ran in the server
        validating._process.kill()
        served.clear()
        assert verdicts() == here
        assert served and not any(served) and validating._connection is None
    finally:
        validating.close()


def test_a_load_validates_in_its_server_and_a_load_of_empty_inboxes_starts_none(home):
    """In a process of its own, as `parity load` runs: with nothing in the inboxes no validation server
    starts (nothing to check); with a delivery, its tables are checked in the server and Great
    Expectations is never imported by the load's own process. A load that does not build starts no dbt."""
    import os
    import subprocess
    import sys

    from conftest import home_environment

    script = """
import shutil, sys
from pathlib import Path
from parity.config import Settings
from parity import dbt_server
from parity.load import load
from parity.quality import server
settings = Settings.from_env()
empty = load(settings, say=lambda _: None, build=False)
print("empty", server._server is None, not empty.rows)
(settings.inbox / "MNE").mkdir(parents=True, exist_ok=True)
for path in sys.argv[1:]:
    shutil.copy(path, settings.inbox / "MNE")
loaded = load(settings, say=lambda _: None, build=False)
print("delivery", server._server is not None, "great_expectations" not in sys.modules,
      sum(r[4] == "accepted" for r in loaded.rows), sum(r[4] == "rejected" for r in loaded.rows))
print("dbt", dbt_server.server_pid() is None)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARITY_", "DAGSTER_"))}
    env.update({k: v for k, v in home_environment(home.home).items() if v is not None})
    result = subprocess.run([sys.executable, "-c", script, *map(str, sample_files("MNE", "2024Q3"))], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == ["empty True True", "delivery True True 6 0", "dbt True"], result.stdout


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """A home with the MNE samples of 2024Q3 and 2024Q4 accepted, loaded once for the module."""
    with pytest.MonkeyPatch.context() as env:
        settings = point_at(env, tmp_path_factory.mktemp("baseline") / "home")
        outcomes = ingest_files(settings, "MNE", deliver(settings, *sample_files("MNE")), now=NOW)
        assert all(o.status == "accepted" for o in outcomes), [o.summary() for o in outcomes]
        for f in (settings.inbox / "MNE").iterdir():
            f.unlink()
        return settings.home


@pytest.fixture
def accepted(home, baseline):
    """This test's home: a copy of the baseline's."""
    return copy_home(baseline, home)


def _edit(source: Path, target: Path, edits: list[tuple[int, str, str]] = (), drop: list[int] = ()) -> Path:
    """A copy of an MNE CSV with cells changed: (line, header, value); lines as the MoD counts them."""
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"), newline="")))
    header = [h.strip().casefold() for h in rows[0]]
    for line, column, value in edits:
        rows[line - 1][header.index(column.casefold())] = value
    rows = [r for i, r in enumerate(rows, start=1) if i not in drop]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(buffer.getvalue(), encoding="utf-8")
    return target


def _raw(home, table: str) -> list:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(f"SELECT * EXCLUDE (submission_table_id) FROM raw.{table} WHERE country_code='MNE' "
                           "ORDER BY ALL").fetchall()


def _sample(period: str, table: str) -> Path:
    return next(p for p in sample_files("MNE", period) if p.name.endswith(f"_{table}.csv"))


# (period, table, edits, rule, line, column, value shown)
ERRORS = [
    ("2024Q4", "personnel", [(6, "Čin", "")], "rank_required", 6, "Čin", ""),
    ("2024Q4", "personnel", [(4, "Čin", "kapetan")], "rank_not_allowed", 4, "Čin", "kapetan"),
    ("2024Q4", "personnel", [(6, "Čin", "vodnik")], "rank_category", 6, "Čin", "oficir / vodnik"),
    ("2024Q4", "personnel", [(7, "Evidencijski broj", "VCG-11266")], "unique_person", 7, "Evidencijski broj", None),
    ("2024Q4", "personnel", [(5, "Godina rođenja", "2010")], "age_range", 5, "Godina rođenja", "2010"),
    ("2024Q4", "personnel", [(5, "Godina rođenja", "1953")], "age_range", 5, "Godina rođenja", "1953"),
    ("2024Q4", "personnel", [(5, "Datum prijema", "2025-01-02")], "entry_not_after_reference", 5, "Datum prijema",
     "2025-01-02"),
    ("2024Q4", "personnel", [(5, "Vid", "Mornarica x")], "code_list", 5, "Vid", "Mornarica x"),
    ("2024Q4", "personnel", [(5, "Pol", "")], "value_required", 5, "Pol", None),
    ("2024Q4", "personnel", [(5, "Datum prijema", "30.08.2024")], "date_format", 5, "Datum prijema", "30.08.2024"),
    ("2024Q4", "personnel", [(6, "Čin", "kapitan")], "rank_known", 6, "Čin", "kapitan"),
    ("2024Q4", "recruitment", [(3, "Broj prijave", "PR-2024-0029")], "unique_application", 3, "Broj prijave",
     "PR-2024-0029"),
    ("2024Q4", "recruitment", [(2, "Datum prijave", "2024-09-30")], "date_in_quarter", 2, "Datum prijave",
     "2024-09-30"),
    ("2024Q4", "recruitment", [(2, "Godina rođenja", "2009")], "age_range", 2, "Godina rođenja", "2009"),
    ("2024Q4", "separations", [(2, "Datum prestanka", "2025-01-01")], "date_in_quarter", 2, "Datum prestanka",
     "2025-01-01"),
    ("2024Q4", "separations", [(2, "Čin", "")], "rank_required", 2, "Čin", ""),
    ("2024Q4", "deployments", [(2, "Datum završetka", "2024-09-30")], "deployment_overlaps_quarter", 2,
     "Datum završetka", "2024-09-30"),
    ("2024Q4", "deployments", [(3, "Datum početka", "2025-01-05")], "deployment_overlaps_quarter", 3,
     "Datum početka", "2025-01-05"),
    ("2024Q4", "deployments", [(2, "Datum početka", "2024-11-01")], "end_not_before_start", 2, "Datum završetka",
     "2024-10-23 / 2024-11-01"),
    ("2024Q4", "deployments", [(2, "Organizacija", "AU")], "code_list", 2, "Organizacija", "AU"),
    ("2024Q4", "trainings", [(2, "Datum završetka", "2024-09-01")], "date_in_quarter", 2, "Datum završetka",
     "2024-09-01"),
    ("2024Q3", "complaints", [(3, "Broj predmeta", "RR-2024-02")], "unique_case", 3, "Broj predmeta", "RR-2024-02"),
    ("2024Q3", "complaints", [(2, "Datum zatvaranja", "2024-06-30")], "complaint_in_quarter", 2, "Datum zatvaranja",
     "2024-06-30"),
    ("2024Q3", "complaints", [(2, "Datum prijave", "2024-09-01")], "closed_not_before_report", 2,
     "Datum zatvaranja", "2024-08-29 / 2024-09-01"),
    ("2024Q3", "complaints", [(2, "Datum zatvaranja", "")], "closed_date_of_closed_case", 2, "Datum zatvaranja", ""),
    ("2024Q3", "complaints", [(2, "Status", "u postupku")], "closed_date_of_open_case", 2, "Datum zatvaranja",
     "2024-08-29"),
]


@pytest.mark.parametrize("period,table,edits,rule,line,column,value", ERRORS,
                         ids=[f"{c[1]}-{c[3]}-{i}" for i, c in enumerate(ERRORS)])
def test_a_broken_rule_rejects_the_table_and_keeps_the_accepted_data(accepted, tmp_path, period, table, edits, rule,
                                                                    line, column, value):
    before = _raw(accepted, table)
    broken = _edit(_sample(period, table), tmp_path / "MNE" / _sample(period, table).name, edits)
    [outcome] = ingest_files(accepted, "MNE", deliver(accepted, broken), now=NOW)
    assert outcome.status == "rejected"
    assert _raw(accepted, table) == before
    problem = next(p for p in outcome.errors if p.rule == rule and p.row == line)
    assert (problem.file, problem.row, problem.column) == (broken.name, line, column)
    if value is not None:
        assert problem.value == value
    assert f"row {line}" in problem.message() and repr(column) in problem.message()
    report = sorted((accepted.quality_dir / "MNE" / period).glob("*.html"))[-1]
    assert f"<td>{line}</td>" in report.read_text(encoding="utf-8")


def test_personnel_with_no_row_is_rejected(accepted, tmp_path):
    before = _raw(accepted, "personnel")
    empty = _edit(_sample("2024Q4", "personnel"), tmp_path / "MNE" / "MNE_2024Q4_personnel.csv", drop=range(2, 20))
    [outcome] = ingest_files(accepted, "MNE", deliver(accepted, empty), now=NOW)
    assert outcome.status == "rejected" and [p.rule for p in outcome.errors] == ["personnel_not_empty"]
    assert _raw(accepted, "personnel") == before


# --- warnings: cross-table and cross-quarter -----------------------------------------------------

def test_unknown_person_in_events_is_a_warning_and_the_table_goes_in(accepted, tmp_path):
    trainings = _edit(_sample("2024Q4", "trainings"), tmp_path / "MNE" / "MNE_2024Q4_trainings.csv",
                      [(2, "Evidencijski broj", "VCG-99999")])
    [outcome] = ingest_files(accepted, "MNE", deliver(accepted, trainings), now=NOW)
    assert outcome.status == "accepted"
    [warning] = outcome.warnings
    assert (warning.rule, warning.row, warning.column, warning.value) == (
        "person_in_snapshot", 2, "Evidencijski broj", None)
    assert "2024Q4 or 2024Q3" in warning.expected


def test_cross_quarter_checks_are_skipped_without_the_quarter_to_compare(home):
    """Events of 2024Q3 alone: no snapshot of 2024Q3 or 2024Q2 exists, so nothing is compared."""
    files = deliver(home, _sample("2024Q3", "trainings"), _sample("2024Q3", "separations"))
    outcomes = ingest_files(home, "MNE", files, now=NOW)
    assert all(o.status == "accepted" and not o.errors for o in outcomes)
    assert all(any(s.key == "person_in_snapshot" for s in o.skipped) for o in outcomes)
    # the quarter counts as received once its personnel is: said once, with the facts
    [awaited] = [p for o in outcomes for p in o.warnings]
    assert awaited.rule == "personnel_awaited" and "2024Q3" in awaited.expected


def test_snapshot_that_does_not_follow_from_the_previous_one_is_a_warning(accepted, tmp_path):
    before = _raw(accepted, "personnel")
    shrunk = _edit(_sample("2024Q4", "personnel"), tmp_path / "MNE" / "MNE_2024Q4_personnel.csv", drop=[3, 4])
    [outcome] = ingest_files(accepted, "MNE", deliver(accepted, shrunk), now=NOW)
    assert outcome.status == "accepted" and _raw(accepted, "personnel") != before
    [warning] = outcome.warnings
    assert warning.rule == "snapshot_balance" and warning.row is None and warning.value is None
    assert warning.found == "6 persons; 9 in 2024Q3 - 1 separations + 0 intakes = 8"
    assert warning.text("sr", "found") == "6 особа; 9 у 2024Q3 - 1 престанака + 0 пријема = 8"


@pytest.fixture(scope="module")
def mne_deliveries(tmp_path_factory):
    """Two years of generated MNE deliveries, 2023Q1..2024Q4 (enough quarters for the median)."""
    from parity.generate import generate

    out = tmp_path_factory.mktemp("generated")
    generate(out, Period.range("2023Q1:2024Q4"), ["MNE"], progress=False)
    return out / "MNE"


@pytest.fixture(scope="module")
def mne_history(tmp_path_factory, mne_deliveries) -> Path:
    """A home with the generated MNE deliveries of 2023Q1..2024Q3 accepted, loaded once for the module."""
    with pytest.MonkeyPatch.context() as env:
        settings = point_at(env, tmp_path_factory.mktemp("mne_history") / "home")
        for period in Period.range("2023Q1:2024Q3"):
            files = deliver(settings, *sorted(mne_deliveries.glob(f"MNE_{period}_*.csv")))
            outcomes = ingest_files(settings, "MNE", files, now=NOW)
            assert not [p for o in outcomes for p in o.problems], period
        return settings.home


def _personnel_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.mark.parametrize("change,rule", [("women_to_men", "share_step"), ("drop_soldiers", "headcount_step")])
def test_implausible_step_by_category_is_a_warning(home, tmp_path, mne_deliveries, mne_history, change, rule):
    copy_home(mne_history, home)
    source = mne_deliveries / "MNE_2024Q4_personnel.csv"
    rows = _personnel_rows(source)
    soldiers = [i for i, r in enumerate(rows[1:], start=2) if r[3].strip().casefold() == "profesionalni vojnik"]
    if change == "women_to_men":
        edits = [(i, "Pol", "M") for i, r in enumerate(rows[1:], start=2)
                 if r[3].strip().casefold() == "profesionalni vojnik" and r[1].strip() == "Ž"]
        broken = _edit(source, tmp_path / "MNE" / source.name, edits)
    else:
        broken = _edit(source, tmp_path / "MNE" / source.name, drop=soldiers[: len(soldiers) // 3])
    [outcome] = ingest_files(home, "MNE", deliver(home, broken), now=NOW)
    assert outcome.status == "accepted"
    steps = [w for w in outcome.warnings if w.rule == rule]
    assert steps and all("profesionalni vojnik" in w.found for w in steps)
    # against the previous quarter and the same quarter a year before
    assert {"in 2024Q3,", "in 2023Q4,"} == {then for w in steps for then in ("in 2024Q3,", "in 2023Q4,") if then in w.found}


def test_thresholds_are_configuration(tmp_path):
    path = tmp_path / "parity.toml"
    text = (Path(__file__).parent.parent / "config" / "parity.toml").read_text(encoding="utf-8")
    path.write_text(text.replace("balance_tolerance = 0.02", "balance_tolerance = 0.5"), encoding="utf-8")
    assert Config.load(path).quality.balance_tolerance == 0.5
    assert Config.load().quality == QualityThresholds()  # the documented defaults are the shipped ones
    assert set(Config.load().focal_points) == {"BIH", "MKD", "MNE", "SRB"}


def test_every_rule_has_its_texts_in_the_catalogue():
    import re

    project = Path(__file__).parent.parent
    code = "".join(p.read_text(encoding="utf-8") for p in [*(project / "sources").glob("*.py"),
                                                            *(project / "parity" / "quality").glob("*.py"),
                                                            project / "parity" / "check.py", project / "parity" / "ingest.py",
                                                            project / "parity" / "isolation.py"])
    rules = set(re.findall(r'rule="(\w+)"', code)) | set(re.findall(r'(?:problem|report)\(\s*"(\w+)"', code))
    rules |= set(re.findall(r'too_large\([^,]+,\s*"(\w+)"', code))  # the limits' rules
    rules |= {"rank_known", "code_list", "too_many_columns", "csv_quotes", "no_such_date", "date_format"}  # by kind, limit, error
    rules |= {e["meta"]["rule"] for name in EXPECTATION_COUNTS for e in suite_entries(name)}
    texts = catalogue("en")["rules"]
    assert {key.rsplit(".", 1)[0] for key in texts} == rules
    assert all(f"{rule}.expected" in texts and f"{rule}.fix" in texts for rule in rules)
