"""Backup and restore: the session's home backed up, a correction loaded into a copy of it
(`corrected`), the backup restored into another home at another path: every table is the backed-up
one, and the next load works. --verify
catches a changed byte; a backup waits for a running load; a restore refuses a home in use."""
import os
import subprocess
import sys

import duckdb
import pytest

from parity.backup import FILES, MANIFEST, BackupError, backup, prune, restore, verify
from parity.cli import main
from parity.load import load

from conftest import CORRECTED, copy_home, point_at


def every_table(path) -> dict[str, list]:
    """Every table of a DuckDB file, sorted."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute("""SELECT table_schema, table_name FROM information_schema.tables
                               WHERE table_type = 'BASE TABLE' ORDER BY ALL""").fetchall()
        return {f"{s}.{t}": con.execute(f'SELECT * FROM "{s}"."{t}" ORDER BY ALL').fetchall() for s, t in names}


def owner_only(folder) -> list[str]:
    """What under `folder` others may read, write or enter."""
    return [str(p) for p in [folder, *folder.rglob("*")] if os.stat(p).st_mode & 0o077]


@pytest.fixture(scope="module")
def backed_up(history, tmp_path_factory):
    """`parity backup` of the session's home (which `corrected` copies and then changes by a
    correction); what its warehouse, public.duckdb and archive held."""
    folder = tmp_path_factory.mktemp("backed-up") / "backup"
    with pytest.MonkeyPatch.context() as env:
        point_at(env, history.home)
        assert main(["backup", str(folder)]) == 0
    archive = sorted(p.relative_to(history.home) for p in history.archive.rglob("*") if p.is_file())
    return folder, every_table(history.warehouse), every_table(history.public_warehouse), archive


def test_restore_gives_back_every_table_and_the_next_load_works(backed_up, corrected, tmp_path, monkeypatch, capsys):
    folder, tables, public, archive = backed_up
    assert every_table(corrected[0].warehouse) != tables  # the correction changed the home after the backup
    assert not owner_only(folder)
    settings = point_at(monkeypatch, tmp_path / "elsewhere" / "home")  # another machine's path
    assert main(["restore", str(folder)]) == 0
    assert "fingerprint" in capsys.readouterr().out
    assert every_table(settings.warehouse) == tables and every_table(settings.public_warehouse) == public
    assert sorted(p.relative_to(settings.home) for p in settings.archive.rglob("*") if p.is_file()) == archive
    assert (settings.dagster_home / "dagster.yaml").read_text().count(str(settings.dagster_home)) == 1
    # the correction, delivered to the restored home: accepted as the next version, built and published
    (settings.inbox / "MNE").mkdir(parents=True)
    (settings.inbox / CORRECTED).write_bytes((corrected[0].inbox / CORRECTED).read_bytes())
    report = load(settings, say=lambda _: None)
    assert [(r[2], r[4], r[5]) for r in report.rows] == [("personnel", "accepted", 2)]
    assert report.transform_ok and report.release[1]
    with pytest.raises(BackupError, match="not empty"):
        restore(settings, folder)


def test_verify_catches_a_changed_byte_and_a_changed_manifest(backed_up, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(backed_up[0], copy)
    assert len(verify(copy).files) > 50
    victim = next(p for p in sorted((copy / FILES / "archive").rglob("*")) if p.is_file())
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 1
    victim.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=f"changed: {victim.relative_to(copy / FILES)}"):
        verify(copy)
    assert main(["backup", "--verify", str(copy)]) == 2
    manifest = copy / MANIFEST
    manifest.write_text(manifest.read_text().replace('"size": ', '"size": 1', 1))
    with pytest.raises(BackupError, match="checksum"):
        verify(copy)


def test_a_backup_waits_for_a_running_load_and_old_backups_are_pruned(history, tmp_path, monkeypatch):
    settings = copy_home(history.home, point_at(monkeypatch, tmp_path / "home"))
    # another process holds the load lock (a load between two partitions) for two seconds
    holder = subprocess.Popen([sys.executable, "-c", f"""
import fcntl, os, sys, time
fd = os.open({str(settings.home / 'load.lock')!r}, os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX); os.pwrite(fd, b"pid 1 (parity load)", 0); print("held", flush=True); time.sleep(2)"""],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    said = []
    backup(settings, settings.backup_dir / "parity-backup-1", say=said.append)
    assert holder.wait() == 0 and said == ["waiting for pid 1 (parity load) to finish"]
    for name in ("parity-backup-2", "parity-backup-3"):
        backup(settings, settings.backup_dir / name, say=said.append)
    assert [p.name for p in prune(settings.backup_dir, 2)] == ["parity-backup-1"]
    assert sorted(p.name for p in settings.backup_dir.iterdir()) == ["parity-backup-2", "parity-backup-3"]
    with pytest.raises(BackupError, match="exists already"):
        backup(settings, settings.backup_dir / "parity-backup-3")


def test_the_backup_job_keeps_the_newest_and_the_retention_job_purges(history, tmp_path, monkeypatch):
    """The Dagster jobs the nightly schedules start: `backup` twice with PARITY_BACKUP_KEEP=1 leaves the
    newer backup only; `retention`, ten years on, empties the archive and the backup's archive."""
    import dataclasses

    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.resources import parity_run_config
    from parity.clock import Clock

    settings = copy_home(history.home, point_at(monkeypatch, tmp_path / "home"))
    monkeypatch.setenv("PARITY_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("PARITY_BACKUP_KEEP", "1")
    instance = DagsterInstance.ephemeral()

    def run(job: str, at: str):
        on = dataclasses.replace(settings, clock=Clock.set_at(at))
        assert defs.resolve_job_def(job).execute_in_process(instance=instance, run_config=parity_run_config(on)).success

    run("backup", "2026-12-01T02:30:00+01:00")
    run("backup", "2026-12-02T02:30:00+01:00")
    [kept] = (tmp_path / "backups").iterdir()
    assert kept.name == "parity-backup-20261202T013000Z" and any(n.startswith("archive/") for n in verify(kept).files)
    run("retention", "2036-12-02T03:30:00+01:00")
    assert not [p for p in settings.archive.rglob("*") if p.is_file()]
    assert not [n for n in verify(kept).files if n.startswith("archive/")]
