"""The Dagster code location: sensor, schedule, partitioned materialisations and the dbt build."""
import datetime as dt
import json
import os
import re

import dagster as dg
import pandas as pd
import pytest

from orchestration.defs.ingest.assets import raw_tables
from orchestration.defs.ingest.schedules import quarterly_chase
from orchestration.defs.ingest.sensors import inbox_sensor, scan_inbox
from orchestration.partitions import country_and_period, partition_key
from orchestration.resources import ParityResource
from parity import warehouse
from parity.dbt import reference_fingerprint

from conftest import SAMPLES, deliver, sample_files

RESOURCES = {"parity": ParityResource()}


def _evaluate(cursor=None):
    context = dg.build_sensor_context(cursor=cursor, resources=RESOURCES)
    result = inbox_sensor(context)
    return result.run_requests, context.cursor if result.cursor is None else result.cursor


def test_sensor_requests_exactly_the_partitions_that_arrived_once(home):
    deliver(home, *sample_files("MNE"))
    deliver(home, *sample_files("SRB", "2024Q4"))
    requests, cursor = _evaluate()
    partitions = sorted(country_and_period(r.partition_key) for r in requests)
    assert partitions == [("MNE", "2024Q3"), ("MNE", "2024Q4"), ("SRB", "2024Q4")]
    assert len({r.run_key for r in requests}) == 3
    assert "VCG" not in cursor and "MO-" not in cursor  # the cursor holds names and hashes only

    assert _evaluate(cursor)[0] == []  # nothing new
    touched = home.inbox / "MNE" / "MNE_2024Q3_trainings.csv"
    os.utime(touched, (touched.stat().st_atime, touched.stat().st_mtime - 100))
    assert _evaluate(cursor)[0] == []  # touched, same content

    touched.write_text(touched.read_text(encoding="utf-8") + "VCG-11266,M,online kurs,2024-09-02\n", encoding="utf-8")
    os.utime(touched, (touched.stat().st_atime, touched.stat().st_mtime - 100))
    [request], cursor2 = _evaluate(cursor)
    assert country_and_period(request.partition_key) == ("MNE", "2024Q3")
    assert request.run_key not in {r.run_key for r in requests}


def test_a_fresh_cursor_requests_nothing_the_warehouse_received_already(home):
    """After `make demo` (loads outside the daemon), the sensor's first tick starts no run for them."""
    from parity.ingest import ingest_files

    files = deliver(home, *sample_files("MNE"))
    ingest_files(home, "MNE", files)
    requests, cursor = _evaluate()
    assert requests == [] and len(json.loads(cursor)["files"]) == len(files)
    changed = home.inbox / "MNE" / "MNE_2024Q4_trainings.csv"
    changed.write_text(changed.read_text(encoding="utf-8") + "VCG-11266,M,online kurs,2024-12-02\n", encoding="utf-8")
    os.utime(changed, (changed.stat().st_atime, changed.stat().st_mtime - 100))
    [request], _ = _evaluate(cursor)
    assert country_and_period(request.partition_key) == ("MNE", "2024Q4")


def test_sensor_waits_for_a_file_to_settle(home, monkeypatch):
    monkeypatch.setenv("PARITY_SETTLE_SECONDS", "60")
    [path] = deliver(home, SAMPLES / "MKD" / "MKD_2024Q3_personnel.csv")
    assert _evaluate()[0] == []  # just landed: maybe still being written
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime - 61))
    [request], _ = _evaluate()
    assert country_and_period(request.partition_key) == ("MKD", "2024Q3")


def test_sensor_warns_once_about_names_off_the_pattern(home):
    folder = home.inbox / "MNE"
    folder.mkdir()
    (folder / "MNE_2024Q3_personnel.csv.part").write_text("x")
    (folder / "~$MNE_2024Q3.xlsx").write_text("x")
    changed, warnings, cursor = scan_inbox(home, {}, now=1e12)
    assert changed == {} and len(warnings) == 2 and "file name" in warnings[0]
    assert scan_inbox(home, cursor, now=1e12)[1] == []


def test_quarterly_schedule_chases_the_quarter_that_ended():
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2025, 2, 1, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    requests = list(quarterly_chase(context))
    assert sorted(country_and_period(r.partition_key) for r in requests) == [
        (c, "2024Q4") for c in ("BIH", "MKD", "MNE", "SRB")]


def _materialize(key, instance):
    return dg.materialize([raw_tables], partition_key=key, resources=RESOURCES, instance=instance,
                          raise_on_error=False)


def test_partition_materialises_once_then_changes_nothing(home):
    deliver(home, *sample_files("BIH", "2024Q3"))
    instance = dg.DagsterInstance.ephemeral()
    key = partition_key("BIH", "2024Q3")
    first = _materialize(key, instance)
    assert first.success
    keys = sorted(e.asset_key.to_user_string() for e in first.get_asset_materialization_events())
    assert keys == ["raw/complaints", "raw/deployments", "raw/personnel", "raw/recruitment", "raw/trainings"]
    [personnel] = [e for e in first.get_asset_materialization_events() if e.asset_key.path[-1] == "personnel"]
    assert personnel.materialization.metadata["rows"].value == 41

    second = _materialize(key, instance)  # the incremental path: nothing new
    assert second.success and second.get_asset_materialization_events() == []


def test_rejected_table_fails_its_blocking_check_and_keeps_accepted_data(home):
    instance = dg.DagsterInstance.ephemeral()
    key = partition_key("MKD", "2024Q3")
    deliver(home, *sample_files("MKD", "2024Q3"))
    first = _materialize(key, instance)
    assert first.success
    checks = {e.asset_key.path[-1]: e for e in first.get_asset_check_evaluations()}
    assert len(checks) == 6 and all(c.passed for c in checks.values())
    assert checks["personnel"].metadata["expectations_evaluated"].value == 19
    with warehouse.connect(home.warehouse, read_only=True) as con:
        before = con.execute("SELECT * FROM raw.personnel ORDER BY ALL").df()

    bad = home.inbox / "MKD" / "MKD_2024Q3_personnel.csv"
    bad.write_bytes(bad.read_bytes().replace("офицер".encode("cp1251"), "официр".encode("cp1251"), 1))
    result = _materialize(key, instance)
    assert not result.success  # a failed blocking check fails the step: the run shows it
    [check] = [e for e in result.get_asset_check_evaluations() if e.asset_key.path[-1] == "personnel"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    problems = check.metadata["problems"].value
    assert "MKD_2024Q3_personnel.csv" in problems and "column 'Категорија'" in problems and "официр" in problems
    assert check.metadata["errors"].value == 1
    with warehouse.connect(home.warehouse, read_only=True) as con:
        pd.testing.assert_frame_equal(con.execute("SELECT * FROM raw.personnel ORDER BY ALL").df(), before)


def _manifest_counts() -> tuple[int, int, int]:
    """From dbt's manifest: the seeds; the data tests on a model or seed (each is one Dagster asset
    check); and those of them that read seeds only."""
    from orchestration.defs.dbt.project import dbt_project

    nodes = json.loads(dbt_project.manifest_path.read_text())["nodes"].values()
    tests = [n for n in nodes if n["resource_type"] == "test" and n.get("attached_node")]
    return (sum(1 for n in nodes if n["resource_type"] == "seed"), len(tests),
            sum(1 for n in tests if all(d.startswith("seed.") for d in n["depends_on"]["nodes"])))


def _dbt_events(result, kind: str) -> int:
    return sum(1 for e in result.all_events if e.event_type_value == kind and e.step_key == "warehouse_models")


def test_a_load_requests_one_transform_run_that_builds_the_marts_with_their_checks_then_public_duckdb(home):
    """marts_after_load: nothing loaded, nothing requested; materialised raw partitions request one
    `transform` run (dbt build, the suppression and its audit, then public.duckdb) that builds a fresh
    warehouse, every dbt data test an asset check; built, nothing is stale and nothing more is requested."""
    from orchestration.definitions import defs
    from orchestration.defs.dbt.sensors import marts_after_load

    deliver(home, *sample_files("MNE"))
    instance = dg.DagsterInstance.ephemeral()
    context = dg.build_sensor_context(instance=instance, resources=RESOURCES)
    assert isinstance(marts_after_load(context), dg.SkipReason)
    for period in ("2024Q3", "2024Q4"):
        assert _materialize(partition_key("MNE", period), instance).success
    request = marts_after_load(context)
    assert isinstance(request, dg.RunRequest) and marts_after_load.job_name == "transform"
    result = defs.resolve_job_def("transform").execute_in_process(instance=instance, run_config=request.run_config)
    assert result.success
    assert isinstance(marts_after_load(context), dg.SkipReason)  # once per load; built, nothing is stale
    # the first build of a new home starts from the parse `make setup` prepared (parity.dbt.duckdb_output)
    log = (home.home / "dbt" / "target" / "dbt.log").read_text(encoding="utf-8")
    assert re.search(r"Found .*\d+ models", log) and "Unable to do partial parsing" not in log
    checks = [e for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
              and e.event_specific_data.asset_key.to_user_string() != "meta/timeliness"]  # test_demo's
    audits = [e for e in checks if e.event_specific_data.asset_key.to_user_string() == "publication/suppression"]
    seeds, data_tests, seed_tests = _manifest_counts()
    assert len(checks) - len(audits) == data_tests >= 42 and len(audits) == 1  # and the disclosure audit
    assert all(e.event_specific_data.passed for e in checks)
    materialized = {e.asset_key.to_user_string() for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
    assert {"marts/indicator_values", "publication/suppression", "marts/indicator_values_public",
            "marts/fct_personnel_quarter", "public/warehouse"} <= materialized
    # the timeliness overview (it needs only the registry), dbt's build, then the suppression with its audit,
    # then public.duckdb
    steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    assert steps == ["meta__timeliness", "warehouse_models", "publication__suppression", "public__warehouse"]
    with warehouse.connect(home.warehouse, read_only=True) as con:
        counts = dict(con.execute("SELECT period, count(*) FROM staging.stg_personnel GROUP BY ALL").fetchall())
        columns = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = 'stg_personnel'").fetchall()]
        indicators = con.execute("SELECT * FROM marts.indicator_values ORDER BY ALL").df()
        ledger = con.execute("SELECT * FROM intermediate.partition_builds ORDER BY ALL").df()
    assert counts == {"2024Q3": 9, "2024Q4": 8}
    assert "sex_code" in columns and "person_key" in columns and "personnel_no" not in columns
    # MNE alone: its two quarters, attrition and promotion only in 2024Q4, no WB4 row
    assert set(indicators.period) == {"2024Q3", "2024Q4"} and set(indicators.country_code) == {"MNE"}
    assert set(indicators[indicators.indicator_code == "ATTRITION_RATE"].period) == {"2024Q4"}
    assert home.public_warehouse.exists()

    # the incremental path: nothing new, no partition rebuilt (built_at kept), the same marts; the seed
    # files as the first build loaded them (its record), so neither loaded nor tested again, every other
    # test run (the staging tests that read a seed beside their model among them)
    with warehouse.connect(home.warehouse, read_only=True) as con:
        assert warehouse.reference_loaded(con) == reference_fingerprint()
    again = defs.resolve_job_def("transform").execute_in_process(instance=instance)
    assert again.success and seeds == 8 and 0 < seed_tests < data_tests
    assert _dbt_events(result, "ASSET_MATERIALIZATION") - _dbt_events(again, "ASSET_MATERIALIZATION") == seeds
    assert _dbt_events(again, "ASSET_CHECK_EVALUATION") == data_tests - seed_tests
    # and every step after dbt's still runs: an asset downstream of a left-out node would be skipped (Dagster
    # skips a step whose upstream output was not yielded), and public.duckdb would fall behind the marts
    assert [e.step_key for e in again.all_events if e.event_type_value == "STEP_SUCCESS"] == steps
    with warehouse.connect(home.warehouse, read_only=True) as con:
        pd.testing.assert_frame_equal(con.execute("SELECT * FROM marts.indicator_values ORDER BY ALL").df(), indicators)
        pd.testing.assert_frame_equal(con.execute("SELECT * FROM intermediate.partition_builds ORDER BY ALL").df(),
                                      ledger)


@pytest.mark.integration  # starts dbt
def test_the_dbt_resource_knows_the_version_of_the_dbt_it_runs_without_asking_it():
    """The code location's dbt resource (ParityDbtCliResource) takes the version from the installed
    dbt-core instead of running `dbt --version` before each command: both must name the same dbt."""
    import subprocess

    from orchestration.definitions import defs
    from orchestration.defs.dbt.resource import ParityDbtCliResource

    dbt = defs.resources["dbt"]
    assert isinstance(dbt, ParityDbtCliResource)
    # dbt --version also asks pypi.org for its latest release: through a proxy on 127.0.0.1 that is not
    # there, it says it could not tell (tests talk to 127.0.0.1 only)
    offline = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "NO_PROXY": "",
               "no_proxy": ""}
    told = subprocess.run([dbt.dbt_executable, "--version"], capture_output=True, text=True, check=True,
                          env=offline).stdout
    assert f"installed: {dbt._cli_version}" in told


def _schema(database) -> tuple:
    import sqlite3

    con = sqlite3.connect(database)
    try:
        return (tuple(sorted(con.execute("SELECT type, name, sql FROM sqlite_master").fetchall())),
                con.execute("SELECT version_num FROM alembic_version").fetchall()[0],
                con.execute("PRAGMA journal_mode").fetchone())
    finally:
        con.close()


def test_the_dagster_instance_keeps_few_event_log_connections_open_and_an_engineers_yaml(tmp_path):
    """parity's dagster.yaml names the pooled event log; runs store and read their events through it;
    it keeps at most OPEN_DATABASES databases open however many runs there were, and makes each
    run's database as Dagster's own storage would; a dagster.yaml of
    an older parity is brought up to date, an engineer's own is left alone."""
    import dataclasses

    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from orchestration.event_log import OPEN_DATABASES, PooledSqliteEventLogStorage
    from orchestration.instance import WRITTEN_BY_PARITY, prepare_dagster_home
    from parity.config import Settings

    settings = dataclasses.replace(Settings.from_env(), home=tmp_path / "home", dagster_home_dir=None)
    home = prepare_dagster_home(settings)
    (home / "dagster.yaml").write_text(WRITTEN_BY_PARITY + "\ntelemetry:\n  enabled: false\n", encoding="utf-8")
    prepare_dagster_home(settings)  # an older parity's file
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)

        @dg.asset
        def counted() -> int:
            return 1

        for _ in range(OPEN_DATABASES + 2):
            assert dg.materialize([counted], instance=instance).success
        assert len(instance.fetch_materializations(counted.key, limit=100).records) == OPEN_DATABASES + 2
        assert 0 < len(storage._engines) <= OPEN_DATABASES

        # each run's database began as a copy of an empty one that Dagster itself made: the same
        # tables, indexes and schema version as Dagster's own, in the same journal mode
        made_by_dagster = tmp_path / "stock"
        with SqliteEventLogStorage(str(made_by_dagster)).run_connection("a-run"):
            pass
        runs = [p for p in (home / "history" / "runs").glob("*.db") if p.stem != "index"]
        assert len(runs) == OPEN_DATABASES + 2
        assert {_schema(p) for p in runs} == {_schema(made_by_dagster / "a-run.db")}
        assert not list((home / "history" / "runs").glob(".*partial"))

    engineers = "# my own\ntelemetry:\n  enabled: false\n"
    (home / "dagster.yaml").write_text(engineers, encoding="utf-8")
    prepare_dagster_home(settings)
    assert (home / "dagster.yaml").read_text(encoding="utf-8") == engineers


def test_every_job_sensor_and_schedule_says_what_it_does():
    from orchestration.definitions import defs

    repository = defs.get_repository_def()
    definitions = [*repository.sensor_defs, *repository.schedule_defs, *repository.get_all_jobs()]
    assert len(definitions) > 15
    assert [d.name for d in definitions if not d.description and not d.name.startswith("__")] == []


def test_a_load_starts_dbt_once_a_partition_is_accepted_and_only_when_it_builds(home, monkeypatch):
    """dbt's server starts on the other core as soon as a table is accepted (the load will build), while
    the other partitions are taken, or at once when the marts are behind already; a load that accepts
    nothing, or does not build, imports no dbt."""
    from parity import load as loading

    said = []
    # (dbt_server.start starts one server, however often it is called)
    monkeypatch.setattr(loading, "start_dbt_server", lambda: "dbt server" in said or said.append("dbt server"))
    monkeypatch.setattr(loading, "transform",
                        lambda *_, **__: said.append("transform") or loading.Built(True, home.home, [], None))
    deliver(home, *sample_files("MNE"))
    loading.load(home, say=said.append)
    assert [line.split(":")[0] for line in said] == ["[1/2] MNE 2024Q3", "dbt server", "[2/2] MNE 2024Q4",
                                                     "transform"]
    said.clear()  # a personnel table with no row: rejected, nothing accepted
    header = next(p for p in sample_files("MNE", "2024Q4") if "personnel" in p.name).read_text(encoding="utf-8")
    (home.inbox / "MNE" / "MNE_2024Q2_personnel.csv").write_text(header.splitlines()[0] + "\n", encoding="utf-8")
    assert loading.load(home, say=said.append, build=False).rejected == 1
    assert [line.split(":")[0] for line in said] == ["[1/1] MNE 2024Q2"]
    said.clear()  # the marts were never built (transform stood in for them): a load catches up, dbt first
    assert loading.load(home, say=said.append).caught_up == ["marts", "public"]
    assert [line.split(" older")[0] for line in said] == ["dbt server", "marts and public", "transform"]
