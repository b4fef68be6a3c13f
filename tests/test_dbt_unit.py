"""dbt's unit tests (each indicator's edge cases on fixed inputs) run in `make test` and `make check`:
a load's build leaves them out, so this is where they run on every change of a model."""
import json

from parity.config import DBT_PROJECT_DIR, Settings
from parity.dbt import run_unit_tests


def test_every_dbt_unit_test_runs_and_passes_on_an_empty_warehouse(monkeypatch):
    for name in ("PARITY_HOME", "PARITY_DISCLOSURE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)  # the project's defaults
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert run_unit_tests(Settings.from_env()) == len(manifest["unit_tests"]) >= 12
