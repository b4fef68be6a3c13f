"""Replacing the pseudonymisation key on a copy of the session's warehouse: every person key changes,
every indicator stays equal, the old key is refused, a table sent again unchanged is still
"unchanged", and a rotation that needs a purged file changes nothing and names it."""
import duckdb
import pytest

from parity import warehouse
from parity.cli import main
from parity.load import load
from parity.pseudonym import RotationRefused, key_fingerprint
from parity.rotation import PERSON_TABLES, pending_key_file, rotate

from conftest import copy_home, point_at

OLD_KEY = "test-key-not-secret"  # conftest.home_environment's
NEW_KEY = "a-new-key-of-more-than-thirty-two-characters"


def person_keys(settings) -> set[str]:
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        return {k for t in PERSON_TABLES for (k,) in con.execute(f"SELECT DISTINCT person_key FROM raw.{t}").fetchall()}


def public_tables(settings) -> dict[str, list]:
    with duckdb.connect(str(settings.public_warehouse), read_only=True) as con:
        names = [n for (n,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}


def marts(settings) -> list:
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        return con.execute("SELECT * FROM marts.indicator_values ORDER BY ALL").fetchall()


@pytest.fixture(scope="module")
def rotated(history, tmp_path_factory):
    """A copy of the session's warehouse before and after `parity rotate-key --new-key-file`."""
    with pytest.MonkeyPatch.context() as env:
        settings = copy_home(history.home, point_at(env, tmp_path_factory.mktemp("rotated") / "home"))
        before = {"keys": person_keys(settings), "public": public_tables(settings), "marts": marts(settings)}
        key_file = settings.home.parent / "new.key"
        key_file.write_text(NEW_KEY + "\n", encoding="utf-8")
        assert main(["rotate-key", "--new-key-file", str(key_file)]) == 0
        yield settings, before


def test_every_person_key_changes_and_every_indicator_stays_equal(rotated):
    settings, before = rotated
    after = person_keys(settings)
    assert len(after) == len(before["keys"]) > 1000 and not after & before["keys"]
    assert marts(settings) == before["marts"]
    with warehouse.connect(settings.warehouse, read_only=True) as con:  # every partition rebuilt from the new keys
        built = {k for (k,) in con.execute("SELECT DISTINCT person_key FROM marts.fct_personnel_quarter").fetchall()}
    assert built and built <= after and not built & before["keys"]
    # public.duckdb whole, its releases included: nothing published changed, so no new release
    assert public_tables(settings) == before["public"]
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        assert con.execute("SELECT fingerprint FROM meta.pseudonym_key").fetchall() == [(key_fingerprint(NEW_KEY.encode()),)]
        assert con.execute("SELECT old_fingerprint, new_fingerprint FROM meta.key_rotations").fetchall() == [
            (key_fingerprint(OLD_KEY.encode()), key_fingerprint(NEW_KEY.encode()))]
        assert not warehouse.stale_layers(con, True)


def test_the_old_key_is_refused_and_the_new_one_loads_a_table_sent_again_as_unchanged(rotated, monkeypatch, capsys):
    settings, _ = rotated
    assert main(["load"]) == 2  # the environment still holds the old key
    assert "not the one this warehouse was loaded with" in capsys.readouterr().err
    monkeypatch.setenv("PARITY_PSEUDONYM_KEY", NEW_KEY)
    # the same rows in another file (a blank line more): its content hash, made with the new key, is the stored one
    path = settings.inbox / "MNE" / "MNE_2024Q3_personnel.csv"
    path.write_bytes(path.read_bytes() + b"\n")
    report = load(settings.__class__.from_env(), say=lambda _: None)
    assert [(r[2], r[4]) for r in report.rows] == [("personnel", "unchanged")]


def test_a_purged_file_refuses_the_rotation_naming_it_and_nothing_changes(history, tmp_path, monkeypatch):
    settings = copy_home(history.home, point_at(monkeypatch, tmp_path / "home"))
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        file_name, archived = con.execute("""SELECT f.file_name, f.archive_path FROM meta.current_tables c
                                             JOIN meta.received_files f USING (file_id)
                                             WHERE c.table_name = 'personnel' ORDER BY 1 LIMIT 1""").fetchone()
    (settings.home / archived).unlink()
    keys = person_keys(settings)
    key_file = tmp_path / "new.key"
    key_file.write_text(NEW_KEY, encoding="utf-8")
    with pytest.raises(RotationRefused, match=file_name):
        rotate(settings, key_file)
    assert person_keys(settings) == keys
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        assert con.execute("SELECT fingerprint FROM meta.pseudonym_key").fetchone()[0] == key_fingerprint(OLD_KEY.encode())


def test_a_key_file_is_replaced_and_a_rotation_killed_after_its_commit_is_finished(history, tmp_path, monkeypatch):
    """With the key in the key file, rotate-key makes a random key and replaces the file; when the
    process dies between the warehouse's commit and the file's replacement, the next rotate-key puts
    the committed key in place before anything else."""
    settings = copy_home(history.home, point_at(monkeypatch, tmp_path / "home"))
    monkeypatch.delenv("PARITY_PSEUDONYM_KEY")
    settings = settings.__class__.from_env()
    settings.key_file.write_text(OLD_KEY + "\n", encoding="utf-8")
    rotation = rotate(settings, say=lambda _: None)
    new = settings.key_file.read_text(encoding="utf-8").strip()
    assert rotation.new_fingerprint == key_fingerprint(new.encode()) and len(new) == 64
    assert oct(settings.key_file.stat().st_mode & 0o777) == "0o600" and not pending_key_file(settings).exists()
    # as if killed after the commit of a second rotation: the warehouse holds the pending key's fingerprint
    pending = pending_key_file(settings)
    pending.write_text(NEW_KEY + "\n", encoding="utf-8")
    with warehouse.writing(settings, "test") as con:
        con.execute("UPDATE meta.pseudonym_key SET fingerprint = ?", [key_fingerprint(NEW_KEY.encode())])
    said = []
    with pytest.raises(RotationRefused, match="nothing to rotate"):  # finished first, then asked to rotate to it
        rotate(settings, _key_file(tmp_path, NEW_KEY), say=said.append)
    assert settings.key_file.read_text(encoding="utf-8").strip() == NEW_KEY and not pending.exists()
    assert any("finished an interrupted rotation" in line for line in said)


def _key_file(folder, key: str):
    path = folder / "given.key"
    path.write_text(key, encoding="utf-8")
    return path
