"""dbt's unit tests (each indicator's edge cases on fixed inputs) run in `make test` and `make check`:
a load's build leaves them out, so this is where they run on every change of a model. And the
project's own generic data tests fail where they must, naming what failed."""
import json

import pytest

from parity.config import DBT_PROJECT_DIR, WAREHOUSE_FILE, Settings
from parity.dbt import run_unit_tests


def test_every_dbt_unit_test_runs_and_passes_on_an_empty_warehouse(monkeypatch):
    for name in ("PARITY_HOME", "PARITY_DISCLOSURE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)  # the project's defaults
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert run_unit_tests(Settings.from_env()) == len(manifest["unit_tests"]) >= 12


def test_a_models_column_tests_name_each_failing_column_and_value(tmp_path, monkeypatch):
    """Each model's not-null, accepted-value and relationship conditions are one dbt test each
    (not_null_columns, accepted_values_by_column, relationships_by_column): a NULL, a value outside
    its list and a value with no parent fail them, and their failing rows say which column (and
    value) and how many rows."""
    import subprocess

    import duckdb

    from parity import warehouse
    from parity.dbt import run_dbt

    monkeypatch.delenv("PARITY_DISCLOSURE_THRESHOLD", raising=False)
    settings = Settings.from_env()  # the variables of make setup's parse: dbt starts from it
    path, target = tmp_path / WAREHOUSE_FILE, tmp_path / "target"
    with duckdb.connect(str(path)) as con:
        warehouse.ensure_schema(con)
        rows = [("MNE", "2024Q3", 1, 2, "a", None, 1990, "general", None, "army", "unit", None, "2015-01-01"),
                ("MNE", "2024Q3", 1, 3, "b", "F", 1991, "officer", None, "army", "unit", "team", "2016-01-01"),
                ("MNE", "2024Q3", 1, 4, "c", "M", 1992, "general", None, "fleet", "unit", None, "2017-01-01"),
                ("XXX", "2024Q3", 1, 5, "d", "F", 1993, "officer", None, "army", "unit", None, "2018-01-01")]
        con.executemany(f"INSERT INTO raw.personnel VALUES ({', '.join('?' * 13)})", rows)
    run_dbt("seed", "--select", "countries", warehouse=path, target_path=target, settings=settings)
    run_dbt("run", "--select", "stg_personnel", warehouse=path, target_path=target, settings=settings)
    tests = ["stg_personnel_not_null", "stg_personnel_accepted_values", "stg_personnel_relationships"]
    with pytest.raises(subprocess.CalledProcessError):  # dbt test fails: a NULL, unknown codes, no parents
        run_dbt("test", "--select", *tests, warehouse=path, target_path=target, settings=settings)
    results = {r["unique_id"].split(".")[2]: r
               for r in json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]}
    assert {name: (results[name]["status"], results[name]["failures"]) for name in tests} == {
        "stg_personnel_not_null": ("fail", 1), "stg_personnel_accepted_values": ("fail", 2),
        "stg_personnel_relationships": ("fail", 2)}
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute(results["stg_personnel_not_null"]["compiled_code"]).fetchall() == [("sex_code", 1)]
        assert sorted(con.execute(results["stg_personnel_accepted_values"]["compiled_code"]).fetchall()) == [
            ("category_code", "general", 2), ("service_code", "fleet", 1)]
        # no country XXX in the seed; no registry row 1 (meta.submission_tables is empty)
        assert sorted(con.execute(results["stg_personnel_relationships"]["compiled_code"]).fetchall()) == [
            ("country_code", "XXX", 1), ("submission_table_id", "1", 4)]
