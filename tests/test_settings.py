"""One configuration and one clock: every setting is read from the environment in one place and
validated there; the clock is real unless code sets it (the demo, tests), and a set clock is recorded
beside every stamp it makes and reaches the Dagster runs of a load."""
import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pytest

from parity.clock import Clock
from parity.config import Settings, SettingsError

from conftest import deliver, sample_files

ROOT = Path(__file__).resolve().parent.parent
SET = "2025-02-20T10:00:00+01:00"

# where our code may touch the environment other than parity/config.py, and why
ENVIRONMENT_ALLOWED = {
    "parity/dbt.py": "passes the environment on to dbt's process, with the PostgreSQL password added",
    "parity/faults.py": "the tests' fault injection (PARITY_FAULT_AT), not a setting",
    "parity/quality/suites.py": "turns off Great Expectations' usage analytics, a library's own variable",
    "parity/cli.py": "passes the environment on to `dagster dev`, with DAGSTER_HOME",
    "parity/dbt_server.py": "names its socket to the dbt commands started after it (PARITY_DBT_SERVER), and "
                            "gives each forked command its client's environment",
    "parity/dbt_client.py": "finds its process's dbt server (PARITY_DBT_SERVER) and hands dbt its environment",
}


def test_the_environment_is_read_in_one_place():
    reads = re.compile(r"os\.environ|os\.getenv|getenv\(|dg\.EnvVar")
    found = sorted(str(p.relative_to(ROOT)) for package in ("parity", "orchestration", "sources")
                   for p in (ROOT / package).rglob("*.py") if reads.search(p.read_text(encoding="utf-8")))
    assert set(found) - {"parity/config.py"} == set(ENVIRONMENT_ALLOWED)


def test_production_settings_run_on_the_real_clock(monkeypatch):
    for name in ("PARITY_CLOCK", "PARITY_NOW", "PARITY_DEMO_CLOCK", "FAKETIME"):
        monkeypatch.setenv(name, SET)
    settings = Settings.from_env()
    assert not settings.clock.is_set and settings.clock.label == "real"
    assert abs(settings.clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_a_set_clock_runs_on_from_its_instant():
    clock = Clock.set_at(SET)
    assert clock.label == f"set to {SET}"
    assert dt.timedelta(0) <= clock.now() - dt.datetime.fromisoformat(SET) < dt.timedelta(seconds=5)
    with pytest.raises(ValueError):
        Clock.set_at("2025-02-20T10:00:00")  # no time zone: which 10 o'clock?


@pytest.mark.parametrize("name, value, message", [
    ("PARITY_DISCLOSURE_THRESHOLD", "1.5", "PARITY_DISCLOSURE_THRESHOLD: '1.5' is not a whole number of persons"),
    ("PARITY_DISCLOSURE_THRESHOLD", "two", "PARITY_DISCLOSURE_THRESHOLD: 'two' is not a number of persons"),
    ("PARITY_SMTP_PORT", "smtp", "PARITY_SMTP_PORT: 'smtp' is not a number of a TCP port"),
    ("PARITY_SMTP_STARTTLS", "yes", "PARITY_SMTP_STARTTLS: 'yes' must be 1 (yes) or 0 (no)"),
    ("PARITY_BUILD_MEMORY_MB", "2.5G", "PARITY_BUILD_MEMORY_MB: '2.5G' is not a number of megabytes"),
    ("PARITY_DISCLOSURE_WIDTH", "wide", "PARITY_DISCLOSURE_WIDTH: 'wide' is not a number of persons (0 or more; "
                                        "default 3)"),
])
def test_a_setting_that_cannot_be_used_is_named(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env()


def test_the_protection_width_follows_the_threshold_unless_set(monkeypatch):
    from parity.dbt import dbt_vars

    monkeypatch.delenv("PARITY_DISCLOSURE_WIDTH", raising=False)
    monkeypatch.setenv("PARITY_DISCLOSURE_THRESHOLD", "4")
    assert Settings.from_env().protection_width == 5
    monkeypatch.setenv("PARITY_DISCLOSURE_WIDTH", "8")
    settings = Settings.from_env()
    assert settings.protection_width == 8
    assert json.loads(dbt_vars(settings)[1]) == {"disclosure_threshold": 4}  # the width is the audit's alone


def test_secrets_stay_out_of_the_settings_repr(monkeypatch):
    monkeypatch.setenv("PARITY_PSEUDONYM_KEY", "a-secret-key")
    monkeypatch.setenv("PARITY_SMTP_PASSWORD", "a-secret-password")
    monkeypatch.setenv("PARITY_PUBLISH_URL", "postgresql://ana:a-secret-url@db/x")
    text = repr(Settings.from_env())
    assert "a-secret" not in text


def test_a_set_clock_is_recorded_beside_every_stamp(home):
    from parity.deadlines import watch_deadlines
    from parity.ingest import ingest_files

    settings = dataclasses.replace(home, clock=Clock.set_at(SET))
    ingest_files(settings, "MNE", deliver(settings, *sample_files("MNE", "2024Q3")))
    watch_deadlines(settings, settings.config())
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        for table in ("received_files", "submission_tables", "deliveries", "alerts", "timeliness"):
            assert con.execute(f"SELECT DISTINCT clock FROM meta.{table}").fetchall() == [(f"set to {SET}",)], table
        received = con.execute("SELECT min(received_at) FROM meta.received_files").fetchone()[0]
    assert dt.timedelta(0) <= received - dt.datetime.fromisoformat(SET) < dt.timedelta(minutes=5)

    ingest_files(home, "MNE", deliver(home, *sample_files("MNE", "2024Q4")))  # the real clock again
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute("SELECT period, clock FROM meta.deliveries ORDER BY period").fetchall() == [
            ("2024Q3", f"set to {SET}"), ("2024Q4", "real")]


def test_a_load_gives_its_dagster_runs_its_clock(home):
    from orchestration.resources import ParityResource, parity_run_config

    settings = dataclasses.replace(home, clock=Clock.set_at(SET))
    config = parity_run_config(settings)["resources"]["parity"]["config"]
    received = ParityResource(**config).settings()
    assert received.home == home.home and received.clock == settings.clock and received.clock.label == f"set to {SET}"
    assert abs(received.clock.now() - settings.clock.now()) < dt.timedelta(seconds=1)
    assert not ParityResource(**parity_run_config(home)["resources"]["parity"]["config"]).settings().clock.is_set


def test_the_build_memory_setting_is_dbts_duckdb_memory_limit(monkeypatch, tmp_path):
    """DuckDB's own default (80 % of the machine) let a scale-10 build hold 9.6 GiB: every dbt profile
    parity writes for DuckDB caps it at the setting."""
    from parity.dbt import duckdb_output

    monkeypatch.delenv("PARITY_BUILD_MEMORY_MB", raising=False)
    assert duckdb_output(tmp_path / "warehouse.duckdb", Settings.from_env().build_memory_mb)[0]["settings"] == {
        "memory_limit": "2560MB"}
    monkeypatch.setenv("PARITY_BUILD_MEMORY_MB", "700")
    output, _ = duckdb_output(tmp_path / "warehouse.duckdb", Settings.from_env().build_memory_mb)
    assert output["settings"] == {"memory_limit": "700MB"}
    with duckdb.connect(config=output["settings"]) as con:  # a value DuckDB takes as it is written
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "667.5 MiB"  # 700 MB
