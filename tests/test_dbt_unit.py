"""dbt's unit tests (each indicator's edge cases on fixed inputs) run in `make test` and `make check`:
a load's build leaves them out, so this is where they run on every change of a model. And the
project's own generic data test fails where it must, naming what failed."""
import json

import pytest

from parity.config import DBT_PROJECT_DIR, WAREHOUSE_FILE, Settings
from parity.dbt import run_unit_tests


def test_every_dbt_unit_test_runs_and_passes_on_an_empty_warehouse(monkeypatch):
    for name in ("PARITY_HOME", "PARITY_DISCLOSURE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)  # the project's defaults
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert run_unit_tests(Settings.from_env()) == len(manifest["unit_tests"]) >= 12


def test_a_models_rules_test_names_each_failing_rule_column_and_value(tmp_path, monkeypatch):
    """Each model's row rules (unique keys, not-null, accepted values, relationships) are one dbt test
    (`rules`): a duplicated key, a NULL, a value outside its list and a value with no parent each fail
    it, and its failing rows say which rule, which column (and value) and how many rows."""
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
                ("MNE", "2024Q3", 1, 3, "c", "M", 1992, "general", None, "fleet", "unit", None, "2017-01-01"),
                ("XXX", "2024Q3", 1, 5, "d", "F", 1993, "officer", None, "army", "unit", None, "2018-01-01")]
        con.executemany(f"INSERT INTO raw.personnel VALUES ({', '.join('?' * 13)})", rows)
    with pytest.raises(subprocess.CalledProcessError):  # the seed, the model, then its test, which fails
        run_dbt("build", "--select", "countries", "stg_personnel", "stg_personnel_rules", "--exclude",
                "resource_type:unit_test", warehouse=path, target_path=target, settings=settings)
    result, = [r for r in json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
               if r["unique_id"].split(".")[2] == "stg_personnel_rules"]
    assert result["status"] == "fail"
    with duckdb.connect(str(path), read_only=True) as con:
        found = sorted(con.execute(result["compiled_code"]).fetchall(), key=lambda r: tuple(map(str, r)))
    # source row 3 twice in one partition; no country XXX in the seed; no registry row 1
    # (meta.submission_tables is empty)
    assert found == [
        ("accepted_values", "category_code", "general", 2), ("accepted_values", "service_code", "fleet", 1),
        ("not_null", "sex_code", None, 1),
        ("relationships", "country_code", "XXX", 1), ("relationships", "submission_table_id", "1", 4),
        ("unique", "country_code, period, source_row", "MNE 2024Q3 3", 2)]
    assert result["failures"] == len(found)
