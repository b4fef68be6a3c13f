"""Each code list has one home, sources/tables.py; the suites, the dbt seeds, tests and variables that
repeat it are held to it here, so that a change in one place that is not made everywhere fails."""
import csv
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from sources.dialect import DIALECTS
from sources.tables import CODE_LISTS, TABLES, UNIFORMED

ROOT = Path(__file__).resolve().parent.parent
DBT = ROOT / "dbt_project"


def _code_list_of(table: str, column: str) -> str | None:
    for c in TABLES[table].columns:
        if c.name == column and c.kind == "code":
            return c.code_list
    return None


def _suite_value_sets():
    for path in sorted((ROOT / "expectations").glob("*.json")):
        table = path.stem
        for entry in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            values = entry["kwargs"].get("value_set")
            column = entry["kwargs"].get("column")
            # a value set of a delivered column (not of one the gate derives, like in_snapshot)
            if entry["type"] == "expect_column_values_to_be_in_set" and column in TABLES[table].column_names:
                yield table, column, values


@pytest.mark.parametrize("table,column,values", list(_suite_value_sets()), ids=lambda v: str(v)[:30])
def test_every_suite_value_set_is_its_code_list(table, column, values):
    code_list = _code_list_of(table, column)
    if code_list is None:  # the rank: the suite takes the country's ranks as a parameter
        assert values == {"$PARAMETER": "ranks"}, f"expectations/{table}.json {column}"
        return
    assert sorted(values) == sorted(CODE_LISTS[code_list]), f"expectations/{table}.json {column}"


def test_the_suites_check_every_code_column():
    checked = {(table, column) for table, column, _ in _suite_value_sets()}
    code_columns = {(t.name, c.name) for t in TABLES.values() for c in t.columns if c.kind == "code"}
    assert code_columns <= checked, code_columns - checked


def _accepted_values():
    """(model file, column, values) of every dbt accepted-values condition on a code column (each
    model's rules test)."""
    for path in sorted((DBT / "models").rglob("*.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            for test in model.get("data_tests", []):
                if isinstance(test, dict) and "rules" in test:
                    for column, values in test["rules"]["arguments"].get("accepted_values", {}).items():
                        if column.endswith("_code"):
                            yield path.name, column, values


def test_every_dbt_accepted_values_on_a_code_is_its_code_list():
    found = list(_accepted_values())
    assert len(found) >= 20
    with (DBT / "seeds" / "indicators.csv").open(encoding="utf-8", newline="") as f:
        indicators = {row["indicator_code"] for row in csv.DictReader(f)}
    for model, column, values in found:
        if column == "indicator_code":  # an indicator family's codes: the catalogue's (seed indicators)
            assert set(values) <= indicators, f"{model}: {set(values) - indicators}"
            continue
        code_list = {"complainant_sex_code": "sex", "complaint_type_code": "type",
                     "complaint_status_code": "status"}.get(column, column.removesuffix("_code"))
        assert code_list in CODE_LISTS, f"{model}: {column}"
        assert sorted(values) == sorted(CODE_LISTS[code_list]), f"{model}: {column}"


@pytest.mark.parametrize("seed,code_list", [("sexes", "sex"), ("services", "service"),
                                            ("command_levels", "command_level")])
def test_every_code_seed_is_its_code_list(seed, code_list):
    with (DBT / "seeds" / f"{seed}.csv").open(encoding="utf-8", newline="") as f:
        codes = [row[f"{code_list}_code"] for row in csv.DictReader(f)]
    assert sorted(codes) == sorted(CODE_LISTS[code_list])


def test_countries_seed_and_ranks_cover_the_dialects():
    from parity.regions import regions

    with (DBT / "seeds" / "countries.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    countries = {row["country_code"]: row for row in rows if row["is_region"] == "false"}
    assert set(countries) == set(DIALECTS)
    assert set(regions()) == {row["country_code"] for row in rows if row["is_region"] == "true"}
    assert all(set(members) <= set(DIALECTS) for members in regions().values())
    assert regions()["WB4"] == ("BIH", "MKD", "MNE", "SRB")  # the spec's region stays the four
    assert all(countries[c]["focal_point_language"] == DIALECTS[c].language for c in DIALECTS)
    with (DBT / "seeds" / "ranks.csv").open(encoding="utf-8", newline="") as f:
        ranks = list(csv.DictReader(f))
    assert {r["country_code"] for r in ranks} == set(DIALECTS)
    assert {r["category"] for r in ranks} <= set(UNIFORMED) | {"cadet"}


def test_dbt_variables_repeat_the_code_lists_faithfully():
    project = yaml.safe_load((DBT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    assert project["uniformed_categories"] == list(UNIFORMED)
    assert set(project["decision_making_levels"]) <= set(CODE_LISTS["command_level"])
    assert set(project["closed_complaint_statuses"]) <= set(CODE_LISTS["status"])
    with (DBT / "seeds" / "command_levels.csv").open(encoding="utf-8", newline="") as f:
        decision = {r["command_level_code"] for r in csv.DictReader(f) if r["is_decision_making"] == "true"}
    assert decision == set(project["decision_making_levels"])


def test_the_dbt_default_of_a_setting_is_the_settings_default():
    """disclosure_threshold is a setting (PARITY_DISCLOSURE_THRESHOLD) that parity passes with --vars;
    a dbt run by hand gets dbt_project.yml's default, which must be the same."""
    from parity.config import Settings
    from parity.dbt import dbt_vars

    project = yaml.safe_load((DBT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    assert project["disclosure_threshold"] == Settings.disclosure_threshold == 2
    passed = json.loads(dbt_vars(Settings(home=DBT, disclosure_threshold=3))[1])
    assert set(passed) <= set(project) and passed["disclosure_threshold"] == 3


def test_the_generator_draws_only_codes_of_the_code_lists():
    import importlib

    from parity.generate import calibration as cal

    sim = importlib.import_module("parity.generate.simulate")  # the package exports a function of that name

    assert set(sim.SEPARATION_REASONS) <= set(CODE_LISTS["reason"])
    assert set(sim.COURSES) <= set(CODE_LISTS["course"])
    assert set(sim.COMPLAINT_TYPES) <= set(CODE_LISTS["type"])
    assert set(sim.CLOSED_STATUSES) <= set(CODE_LISTS["status"])
    assert {level for level, _ in sim.COMMAND_BY_GRADE.values()} <= set(CODE_LISTS["command_level"])
    assert {o for _, o, _ in cal.MISSIONS} <= set(CODE_LISTS["organization"])
    for weights in cal.SERVICE_WEIGHTS.values():
        assert set(weights) <= set(CODE_LISTS["service"])
    assert set(cal.QUARTERLY_SEPARATION) == set(CODE_LISTS["category"])
    assert tuple(sim.CATEGORIES[i] for i in sim.UNIFORMED) == UNIFORMED


def test_quarter_arithmetic_agrees_in_python_jinja_and_sql(tmp_path):
    """sources/period.py is the rule; dbt's macros (SQL period_index, period_first_day, period_last_day,
    Jinja shift_period) must say the same of every quarter parity partitions, through a year's turn."""
    from parity.config import WAREHOUSE_FILE
    from parity.dbt import DBT_COMMAND, dbt_invocation
    from sources.period import Period

    quarters = Period.range("2015Q1:2027Q4")
    selects = [f"select '{q}' as period, {{{{ period_index(\"'{q}'\") }}}} as idx, "
               f"{{{{ period_first_day(\"'{q}'\") }}}} as first_day, {{{{ period_last_day(\"'{q}'\") }}}} as last_day, "
               f"'{{{{ shift_period('{q}', -1) }}}}' as previous, '{{{{ shift_period('{q}', 4) }}}}' as next_year"
               for q in quarters]
    # as parity runs dbt (its profile, the prepared parse, the worker's dbt server if it has one)
    with dbt_invocation("show", "--inline", " union all ".join(selects), "--output", "json", "--limit",
                        str(len(quarters)), warehouse=tmp_path / WAREHOUSE_FILE, target_path=tmp_path / "target") \
            as (arguments, environment):
        result = subprocess.run([str(DBT_COMMAND), *arguments], capture_output=True, text=True, cwd=DBT, timeout=300,
                                env={**os.environ, **environment})
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {r["period"]: r for r in json.loads(result.stdout)["show"]}
    assert len(rows) == len(quarters)
    for q in quarters:
        row = rows[str(q)]
        assert row["idx"] == q.year * 4 + q.quarter - 1
        assert (row["first_day"], row["last_day"]) == (q.first_day.isoformat(), q.last_day.isoformat())
        assert row["previous"] == str(q.previous()) and row["next_year"] == str(q.next().next().next().next())
