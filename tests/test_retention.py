"""Retention of the archive's clear files: the rule on its own, then on a copy of the session's
warehouse with a backup beside it: a replaced file goes after keep_replaced_days (from the archive
and the backup, which still verifies), and once every quarter has closed for keep_closed_days no
registration number is left in the archive or the backups; rotation then refuses, naming files.
The correction is `corrected`'s: MNE's 2024Q2 personnel replaced."""
import dataclasses
import datetime as dt

import pytest

from parity import warehouse
from parity.backup import backup, verify
from parity.config import Config, FocalPoint
from parity.pseudonym import RotationRefused
from parity.retention import Received, archive_expiries, expiry, purge
from parity.rotation import rotate, stored_versions
from sources import read_delivery

from conftest import NumberScanner, copy_home, point_at

UTC = dt.UTC
RULE = FocalPoint("MNE", "Focal point", "fp@example.org", "cnr", "Europe/Podgorica", due_days=30, reminder_days=7,
                  first_period="2023Q1", keep_replaced_days=10, keep_closed_days=365)


def received(**changes) -> Received:
    base = Received("archive/MNE/aa/a.csv", "MNE", "2024Q1", "MNE_2024Q1_personnel.csv",
                    dt.datetime(2024, 4, 10, tzinfo=UTC), current=True, replaced_at=None)
    return dataclasses.replace(base, **changes)


def test_a_file_goes_at_the_first_of_its_two_rules():
    # still used: a year after its quarter's due date (30 April 2024, the end of the day in Podgorica)
    at, why = expiry(received(), RULE)
    assert at == dt.datetime(2024, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))) + dt.timedelta(days=365)
    assert "closed 2024-04-30" in why
    # replaced in June: ten days later, long before the year is up
    replaced = dt.datetime(2024, 6, 1, tzinfo=UTC)
    assert expiry(received(current=False, replaced_at=replaced), RULE)[0] == replaced + dt.timedelta(days=10)
    # a rejected file (never used): ten days after it came
    assert expiry(received(current=False), RULE)[0] == dt.datetime(2024, 4, 20, tzinfo=UTC)
    # a country without a rule keeps its files
    assert expiry(received(), None)[0] is None
    # the same content under two names goes when both may
    config = Config({"MNE": RULE}, "e@example.org", "engineers", None)
    [shared] = archive_expiries([received(current=False), received(file_name="MNE_2024Q1_trainings.csv")], config)
    assert shared.at == expiry(received(), RULE)[0]


def numbers_of(paths) -> set[str]:
    numbers = set()
    for path in paths:
        for table in read_delivery(path, now=dt.datetime.now(UTC)):
            if table.frame is not None and "personnel_no" in table.frame:
                numbers |= set(table.frame["personnel_no"].dropna())
    return numbers


def archived(settings) -> set[str]:
    return {p.relative_to(settings.home).as_posix() for p in settings.archive.rglob("*") if p.is_file()}


def test_purges_replaced_then_closed_files_from_the_archive_and_the_backups(corrected, history, tmp_path,
                                                                           monkeypatch):
    settings = copy_home(corrected[0].home, point_at(monkeypatch, tmp_path / "home"))
    config = settings.config_path.read_text(encoding="utf-8")
    (tmp_path / "parity.toml").write_text(config.replace("keep_replaced_days = 90", "keep_replaced_days = 10")
                                          .replace("keep_closed_days = 730", "keep_closed_days = 3650"), encoding="utf-8")
    monkeypatch.setenv("PARITY_CONFIG", str(tmp_path / "parity.toml"))
    settings = settings.from_env()
    with warehouse.connect(history.warehouse, read_only=True) as con:  # the file `corrected` replaced
        [(replaced,)] = con.execute("""SELECT archive_path FROM meta.received_files
                                       WHERE file_name = 'MNE_2024Q2_personnel.csv'""").fetchall()
    kept = archived(settings) - {replaced}
    copy = backup(settings, settings.backup_dir / "parity-backup-1")
    assert replaced in copy.files

    now = settings.clock.now()
    assert not purge(settings, now + dt.timedelta(days=9)).purged
    listed = purge(settings, now + dt.timedelta(days=11), dry_run=True)
    assert [e.archive_path for e in listed.purged] == [replaced] and replaced in archived(settings)
    result = purge(settings, now + dt.timedelta(days=11))
    assert [e.archive_path for e in result.purged] == [replaced] and archived(settings) == kept
    assert result.backups == {"parity-backup-1": 1}
    checked = verify(settings.backup_dir / "parity-backup-1")  # rewritten: still whole, and says what went
    assert replaced not in checked.files and replaced in checked.purged
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        assert con.execute("SELECT archive_path, why FROM meta.purged_files").fetchall() == [
            (replaced, result.purged[0].why)]
        # the replaced file held no table version in use: a rotation still has every file it needs
        assert all((settings.home / v.archive_path).is_file() for v in stored_versions(con))

    # ten years after the last quarter closed: nothing clear is left, in the archive or the backup
    numbers = numbers_of(p for p in settings.inbox.rglob("*") if p.is_file())
    assert len(numbers) > 1000
    result = purge(settings, now + dt.timedelta(days=3700))
    assert len(result.purged) == len(kept) and not archived(settings)
    scanner = NumberScanner(numbers)
    for folder in (settings.archive, settings.backup_dir):
        for file in folder.rglob("*"):
            assert not file.is_file() or not scanner.found(file.read_bytes()), file
    assert not [name for name in verify(settings.backup_dir / "parity-backup-1").files if name.startswith("archive/")]
    key_file = tmp_path / "new.key"
    key_file.write_text("a-new-key-of-more-than-thirty-two-characters", encoding="utf-8")
    with pytest.raises(RotationRefused, match="no longer in the archive"):
        rotate(settings, key_file, say=lambda _: None)
