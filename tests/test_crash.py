"""Nothing lost, nothing stuck: real `parity load` processes killed (kill -9 of the whole process group)
at the read, the warehouse write, the dbt build and the public swap; the next load equals a clean
load. Two loads at once, a reader holding the warehouse between steps, another key, data at rest."""
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from parity import warehouse
from parity.config import Settings
from parity.faults import POINTS
from parity.load import LOAD_LOCK, load

from conftest import copy_home, deliver, home_environment, point_at, sample_files

PARITY = str(Path(sys.executable).with_name("parity"))
FILES = [*sample_files("MNE", "2024Q3"), *sample_files("BIH", "2024Q3")]  # CSV and a workbook: two partitions


def _env(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARITY_", "DAGSTER_"))}
    env.update({k: v for k, v in home_environment(home).items() if v is not None})
    return {**env, **extra}


def snapshot(settings) -> dict:
    """What a load leaves behind, without ids and clocks: raw rows, the registry, the marts, public.duckdb."""
    out = {}
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        for schema, table in con.execute("""SELECT table_schema, table_name FROM information_schema.tables
                                            WHERE table_schema IN ('raw', 'marts') AND table_type = 'BASE TABLE'
                                            ORDER BY ALL""").fetchall():
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                [schema, table]).fetchall() if not c.endswith(("_id", "_at"))]
            out[f"{schema}.{table}"] = con.execute(
                f'SELECT {", ".join(columns)} FROM {schema}."{table}" ORDER BY ALL').fetchall()
        out["received_files"] = con.execute("""SELECT country_code, period, file_name, sha256, status
                                               FROM meta.received_files ORDER BY ALL""").fetchall()
        out["submission_tables"] = con.execute(
            """SELECT country_code, period, table_name, sheet, content_hash, row_count, status, version, errors,
                      warnings FROM meta.submission_tables ORDER BY ALL""").fetchall()
        out["deliveries"] = con.execute("""SELECT country_code, period, outcome, tables_accepted, errors
                                           FROM meta.deliveries ORDER BY ALL""").fetchall()
    with warehouse.connect(settings.public_warehouse, read_only=True) as con:
        out["public"] = con.execute("SELECT * FROM indicator_values_public ORDER BY ALL").fetchall()
    return out


def leftovers(settings) -> list[str]:
    return [str(p) for p in settings.home.rglob("*") if ".tmp" in p.name or p.name.endswith(".partial")]


@pytest.fixture(scope="module")
def clean_home(tmp_path_factory) -> Settings:
    """A clean load of FILES, once for the module: tests that start from a loaded warehouse change a
    copy of it (copy_home)."""
    with pytest.MonkeyPatch.context() as env:
        settings = point_at(env, tmp_path_factory.mktemp("clean") / "home")
        deliver(settings, *FILES)
        report = load(settings)
        assert report.transform_ok and not report.rejected and not report.failures
        return settings


@pytest.fixture(scope="module")
def clean(clean_home) -> dict:
    """What any recovered load must equal."""
    return snapshot(clean_home)


def _killed_at(point: str, home: Path) -> str:
    """Run `parity load` until it reaches the fault point, then kill -9 its whole process group (dbt
    and the reader's processes included). Returns what it printed."""
    marker = home.parent / f"fault-{point}"
    process = subprocess.Popen([PARITY, "load"], env=_env(home, PARITY_FAULT_AT=point, PARITY_FAULT_FILE=str(marker)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, f"never reached {point}"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return process.stdout.read().decode()


def test_after_a_kill_at_each_point_in_turn_the_next_load_equals_a_clean_one(home, clean):
    """One chain of kills, in the order a load reaches the points: each killed load starts from what
    the one before left (its claimed files, its pool slot, its half-written files) and must get past
    that point to reach its own, so every point's recovery is run by the next load. Then a load
    without a fault, as an operator would start it, equals the clean load."""
    deliver(home, *FILES)
    for point in POINTS:
        _killed_at(point, home.home)
    report = load(home)
    assert report.transform_ok and not report.rejected and not report.failures
    assert report.freed, "the killed run's pool slot was freed (it would block the next load for good)"
    # killed at the swap, after the raw data and the marts were committed: nothing new, public.duckdb caught up
    assert report.caught_up and not report.rows
    assert snapshot(home) == clean
    assert leftovers(home) == []
    assert load(home).transform_ok is None  # and then nothing is left to do


def test_two_loads_at_once_one_waits_and_nothing_is_claimed_twice(home, capsys):
    from parity.cli import main

    deliver(home, *sample_files("MNE"))
    first = subprocess.Popen([PARITY, "load"], env=_env(home.home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    lock = home.home / LOAD_LOCK
    while not (lock.exists() and "parity load" in lock.read_text()):
        assert first.poll() is None
        time.sleep(0.1)
    second = main(["load"])  # the second in this process: another process all the same
    said = capsys.readouterr().out
    out = first.communicate(timeout=600)[0]
    assert first.returncode == 0 and second == 0, out + said
    assert f"waiting for the warehouse: pid {first.pid} " in said and "(parity load)" in said
    assert "Nothing new in the inboxes." in said  # the first took everything
    with warehouse.connect(home.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT file_name) FROM meta.received_files").fetchone() == (12, 12)
        assert con.execute("SELECT max(version) FROM meta.submission_tables").fetchone()[0] == 1

    # data at rest: the restricted side is the owner's only, public.duckdb anyone's
    def mode(path):
        return stat.S_IMODE(path.stat().st_mode)
    assert mode(home.warehouse) == 0o600 and mode(home.public_warehouse) == 0o644
    for folder in (home.archive, home.quality_dir, home.home / "logs", home.dagster_home):
        assert mode(folder) == 0o700, folder
        for path in folder.rglob("*"):
            assert mode(path) & 0o077 == 0, path


def test_a_busy_wait_is_bounded_and_says_why(home, monkeypatch, capsys):
    """A writer that cannot get the lock in time: a clear refusal, no stack trace, exit status 75."""
    from parity.cli import main

    deliver(home, *sample_files("MNE", "2024Q3"))
    # another process holds the lock (within a process the lock is re-entrant); the load runs here
    holding = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from parity.lock import writer_lock\n"
                               "with writer_lock(Path(sys.argv[1]), 'a test holding it', wait=0):\n"
                               "    print('held', flush=True); sys.stdin.read()", str(home.home / warehouse.LOCK_FILE)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holding.stdout.readline().strip() == "held"
        monkeypatch.setenv("PARITY_LOCK_WAIT", "1")
        status = main(["load"])
    finally:
        holding.stdin.close()
        holding.wait()
    said = capsys.readouterr()
    assert status == 75, said.out + said.err
    assert f"being written by pid {holding.pid} " in said.err and "(a test holding it)" in said.err
    assert "Traceback" not in said.out + said.err
    assert not home.warehouse.exists()


def _reader(path: Path) -> subprocess.Popen:
    """Another process holding the warehouse open read-only (an analyst's session), until stdin closes."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
                               "print('open', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "open"
    return process


def test_a_reader_between_steps_fails_the_build_clearly_and_the_next_load_catches_up(home, clean_home, monkeypatch):
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.instance import prepare_dagster_home
    from orchestration.partitions import partition_key

    copy_home(clean_home.home, home)  # MNE and BIH 2024Q3 loaded and built
    deliver(home, *sample_files("MNE", "2024Q4"))
    prepare_dagster_home(home)
    instance = DagsterInstance.get()
    assert defs.resolve_job_def("ingest").execute_in_process(partition_key=partition_key("MNE", "2024Q4"),
                                                             instance=instance).success
    reader = _reader(home.warehouse)  # opened between the ingest and the build
    try:
        monkeypatch.setenv("PARITY_BUSY_WAIT", "1")
        build = defs.resolve_job_def("transform").execute_in_process(instance=instance, raise_on_error=False)
        assert not build.success
        failed = {e.step_key: e.step_failure_data.error for e in build.all_events if e.is_step_failure}
        assert set(failed) == {"warehouse_models", "meta__timeliness"}  # the writers; the others never started
        assert all("held open by another process (PID" in (error.cause or error).message for error in failed.values())
    finally:
        reader.stdin.close()
        reader.wait()
    with warehouse.connect(home.warehouse, read_only=True) as con:
        assert warehouse.stale_layers(con, True) == ["marts", "public"]
    report = load(home)  # nothing new in the inboxes, but the derived side is behind
    assert report.caught_up == ["marts", "public"] and report.transform_ok and not report.rows
    with warehouse.connect(home.public_warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM indicator_values_public WHERE period = '2024Q4' "
                           "AND country_code = 'MNE'").fetchone()[0] > 0


def test_another_key_or_none_is_refused_before_anything_is_written(home, clean_home, monkeypatch, capsys):
    from parity.cli import main

    copy_home(clean_home.home, home)  # loaded and built with the test key
    with warehouse.connect(home.warehouse, read_only=True) as con:
        [(fingerprint,)] = con.execute("SELECT fingerprint FROM meta.pseudonym_key").fetchall()
    assert "test-key-not-secret" not in fingerprint
    before, archived = snapshot(home), sorted(home.archive.rglob("*"))
    deliver(home, *sample_files("MNE", "2024Q4"))
    capsys.readouterr()

    monkeypatch.setenv("PARITY_PSEUDONYM_KEY", "another-key")
    assert main(["load"]) == 2
    err = capsys.readouterr().err
    assert "pseudonymisation key is not the one this warehouse was loaded with" in err and "Nothing was loaded" in err
    assert snapshot(home) == before and sorted(home.archive.rglob("*")) == archived

    monkeypatch.delenv("PARITY_PSEUDONYM_KEY")
    assert main(["load"]) == 2
    assert "No pseudonymisation key" in capsys.readouterr().err
    assert main(["init-key"]) == 2  # never a new key once data exists
    assert "already holds data" in capsys.readouterr().err and not home.key_file.exists()
    assert snapshot(home) == before


def test_the_key_file_is_owner_only_from_its_creation(home, monkeypatch):
    from parity.pseudonym import create_key_file

    monkeypatch.delenv("PARITY_PSEUDONYM_KEY")
    settings = Settings.from_env()  # without the key of the environment
    old = os.umask(0)  # whatever the umask: the file is created 0600
    try:
        assert create_key_file(settings)
    finally:
        os.umask(old)
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    assert not create_key_file(settings)  # there is one already: kept as it is


def test_a_file_still_being_written_waits_for_the_settle_time(home, monkeypatch):
    from parity.load import pending_partitions

    monkeypatch.setenv("PARITY_SETTLE_SECONDS", "3600")
    deliver(home, *sample_files("MNE", "2024Q3"))
    partitions, skipped = pending_partitions(Settings.from_env())
    assert partitions == [] and len(skipped) == 6 and all("taken once it has settled" in s for s in skipped)


def test_sigterm_stops_a_waiting_load_cleanly(home):
    """The old hang: a load waiting for the warehouse ignored SIGTERM. Now it stops, says so, exits 130."""
    from parity.lock import writer_lock

    with writer_lock(home.home / LOAD_LOCK, "a test holding it", wait=0):
        process = subprocess.Popen([PARITY, "load"], env=_env(home.home), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        assert "waiting for the warehouse" in process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err


def test_a_dead_runs_pool_slot_is_freed(home):
    """A run killed while holding the duckdb_warehouse slot: freed, and the run marked failed."""
    import dagster as dg

    from orchestration.instance import prepare_dagster_home
    from orchestration.pools import DUCKDB_POOL, PROCESS_TAG, free_dead_slots

    prepare_dagster_home(home)
    instance = dg.DagsterInstance.get()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    from orchestration.pools import process_identity
    alive = process_identity()
    for run_id, identity in (("dead-run", f"{alive.rsplit(':', 2)[0]}:{dead.stdout.strip()}:1"), ("live-run", alive)):
        instance.add_run(dg.DagsterRun(job_name="ingest", run_id=run_id, tags={PROCESS_TAG: identity},
                                       status=dg.DagsterRunStatus.STARTED))
        instance.event_log_storage.set_concurrency_slots(DUCKDB_POOL, 2)
        assert instance.event_log_storage.claim_concurrency_slot(DUCKDB_POOL, run_id, "raw_tables").is_claimed
    freed = free_dead_slots(instance)
    assert len(freed) == 1 and freed[0].startswith("run dead-run: its process")
    info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
    assert [s.run_id for s in info.claimed_slots] == ["live-run"]
    assert instance.get_run_by_id("dead-run").status == dg.DagsterRunStatus.FAILURE


def test_a_read_only_open_waits_then_refuses_with_a_message(home):
    home.warehouse.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(home.warehouse)).close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                                                     "print('open', flush=True); sys.stdin.read()", str(home.warehouse)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "open"
    try:
        from parity.lock import WarehouseBusy
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match=r"held open by another process \(PID \d+\); waited 1 s"):
            with warehouse.connect(home.warehouse, read_only=True, wait=1):
                pass
        assert time.monotonic() - started < 30
    finally:
        holder.stdin.close()
        holder.wait()


@pytest.mark.parametrize("name,value,says", [("PARITY_LOCK_WAIT", "ten", "'ten' is not a number of seconds"),
                                             ("PARITY_MAX_FILE_MB", "-5", "'-5' is not a number of megabytes"),
                                             ("PARITY_TIMEZONE", "Europe/Nowhere", "is no time zone")])
def test_an_unusable_setting_is_named_and_nothing_runs(name, value, says, home, monkeypatch, capsys):
    from parity.cli import main

    deliver(home, *sample_files("MNE", "2024Q3"))
    monkeypatch.setenv(name, value)
    assert main(["load"]) == 2
    err = capsys.readouterr().err
    assert f"parity load: {name}: " in err and says in err and "Traceback" not in err
    assert not home.warehouse.exists()
