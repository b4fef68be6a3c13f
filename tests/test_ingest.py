"""Archive, registry, pseudonymisation and atomic partition replacement."""
import pandas as pd
import pytest

from parity import warehouse
from parity.config import Settings
from parity.ingest import inbox_files, ingest_files, new_files
from parity.pseudonym import MissingKey, load_key, pseudonymise

from conftest import (
    NOW,
    SAMPLES,
    NumberScanner,
    assert_no_clear_numbers,
    copy_home,
    deliver,
    point_at,
    registration_numbers,
    sample_files,
)


def _load_all(settings):
    outcomes = []
    for country in ("BIH", "MKD", "MNE", "SRB"):
        outcomes += ingest_files(settings, country, new_files(settings, country), now=NOW)
    return outcomes


@pytest.fixture(scope="module")
def samples_loaded(tmp_path_factory) -> tuple[Settings, list]:
    """A home with every sample delivery ingested, once for the module, and the outcomes. Tests read
    it, or change a copy (copy_home)."""
    with pytest.MonkeyPatch.context() as env:
        settings = point_at(env, tmp_path_factory.mktemp("samples") / "home")
        deliver(settings, *sample_files())
        return settings, _load_all(settings)


def _raw(settings, table, country=None):
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        where = f"WHERE country_code = '{country}'" if country else ""
        return con.execute(f"SELECT * FROM raw.{table} {where} ORDER BY ALL").df()


def _registry(settings):
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        return con.execute("SELECT * FROM meta.submission_tables ORDER BY submission_table_id").df()


def test_pseudonym_is_keyed_stable_and_per_country():
    numbers = pd.Series(["VS-077510"])
    a = pseudonymise("SRB", numbers, b"k1")[0]
    assert a == pseudonymise("SRB", numbers, b"k1")[0]
    assert a != pseudonymise("SRB", numbers, b"k2")[0]
    assert a != pseudonymise("MNE", numbers, b"k1")[0]
    assert len(a) == 64 and "077510" not in a


def test_srb_number_in_cyrillic_or_latin_is_the_same_person(home, tmp_path):
    from sources import read_delivery

    path = tmp_path / "SRB" / "SRB_2024Q3_trainings.csv"
    path.parent.mkdir()
    text = (SAMPLES / "SRB" / path.name).read_text(encoding="utf-8-sig")
    path.write_text(text.replace("VS-170468", " вс-170468 "), encoding="utf-8-sig")
    [latin] = read_delivery(SAMPLES / "SRB" / path.name, now=NOW)
    [cyrillic] = read_delivery(path, now=NOW)
    assert list(cyrillic.frame["personnel_no"]) == list(latin.frame["personnel_no"])


def test_a_key_is_required(home, monkeypatch):
    monkeypatch.delenv("PARITY_PSEUDONYM_KEY")
    with pytest.raises(MissingKey, match="PARITY_PSEUDONYM_KEY"):
        load_key(Settings.from_env())


def test_samples_load_with_no_rejection_and_same_person_same_key(samples_loaded):
    home, outcomes = samples_loaded
    assert {o.status for o in outcomes} == {"accepted"}
    assert len(outcomes) == 46
    personnel = _raw(home, "personnel")
    assert set(personnel["period"]) == {"2024Q3", "2024Q4"}
    both = personnel.groupby(["country_code", "person_key"])["period"].nunique()
    assert (both == 2).sum() > 100  # most people are in both quarters under the same pseudonym


def test_loading_twice_changes_nothing(home, samples_loaded):
    copy_home(samples_loaded[0].home, home)
    raw_before, registry_before = _raw(home, "personnel"), _registry(home)
    assert all(new_files(home, c) == [] for c in ("BIH", "MKD", "MNE", "SRB"))
    assert _load_all(home) == []
    assert ingest_files(home, "SRB", inbox_files(home, "SRB"), now=NOW) == []  # ingest itself skips them
    pd.testing.assert_frame_equal(_raw(home, "personnel"), raw_before)
    pd.testing.assert_frame_equal(_registry(home), registry_before)


def test_identical_content_in_a_new_file_is_registered_unchanged(home):
    [path] = deliver(home, SAMPLES / "MNE" / "MNE_2024Q3_trainings.csv")
    ingest_files(home, "MNE", [path], now=NOW)
    path.write_text(path.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")  # other bytes, same rows
    [outcome] = ingest_files(home, "MNE", new_files(home, "MNE"), now=NOW)
    assert (outcome.status, outcome.version) == ("unchanged", 1)


def test_correction_replaces_the_partition_and_bumps_the_version(home):
    [path] = deliver(home, SAMPLES / "MNE" / "MNE_2024Q3_personnel.csv")
    ingest_files(home, "MNE", [path], now=NOW)
    original = path.read_text(encoding="utf-8")
    other_quarter = deliver(home, SAMPLES / "MNE" / "MNE_2024Q4_personnel.csv")
    ingest_files(home, "MNE", other_quarter, now=NOW)
    q4_before = _raw(home, "personnel").query("period == '2024Q4'")

    path.write_text(original.replace("Direktorat za ljudske resurse", "Kabinet ministra"), encoding="utf-8")
    [outcome] = ingest_files(home, "MNE", new_files(home, "MNE"), now=NOW)
    assert (outcome.status, outcome.version) == ("accepted", 2)
    q3 = _raw(home, "personnel").query("period == '2024Q3'")
    assert len(q3) == 9 and "Direktorat za ljudske resurse" not in set(q3["unit"])
    assert set(q3["submission_table_id"]) == {int(_registry(home)["submission_table_id"].iloc[-1])}
    pd.testing.assert_frame_equal(_raw(home, "personnel").query("period == '2024Q4'"), q4_before)

    path.write_text(original, encoding="utf-8")  # the older content again: a new version
    [outcome] = ingest_files(home, "MNE", new_files(home, "MNE"), now=NOW)
    assert (outcome.status, outcome.version) == ("accepted", 3)
    assert "Direktorat za ljudske resurse" in set(_raw(home, "personnel").query("period == '2024Q3'")["unit"])
    assert len(list((home.archive / "MNE").rglob("*.csv"))) == 3  # every version kept, once each


def test_rejected_file_leaves_accepted_data_exactly_as_it_was(home):
    [path] = deliver(home, SAMPLES / "SRB" / "SRB_2024Q3_personnel.csv")
    ingest_files(home, "SRB", [path], now=NOW)
    before, registry_before = _raw(home, "personnel"), _registry(home)

    text = path.read_text(encoding="utf-8-sig")
    path.write_text(text.replace("06.02.1992.", "1992-02-06"), encoding="utf-8-sig")
    [outcome] = ingest_files(home, "SRB", new_files(home, "SRB"), now=NOW)
    assert outcome.status == "rejected"
    [error] = outcome.errors
    assert (error.row, error.column, error.value) == (2, "Datum prijema", "1992-02-06")
    pd.testing.assert_frame_equal(_raw(home, "personnel"), before)
    registry = _registry(home)
    assert len(registry) == len(registry_before) + 1
    rejected = registry.iloc[-1]
    assert rejected["status"] == "rejected" and pd.isna(rejected["version"])
    assert "row 2" in rejected["message"] and "Datum prijema" in rejected["message"]
    with warehouse.connect(home.warehouse, read_only=True) as con:
        archived = con.execute("SELECT archive_path FROM meta.received_files ORDER BY file_id DESC LIMIT 1").fetchone()[0]
    assert (home.home / archived).read_bytes() == path.read_bytes()  # kept for inspection, unchanged


def test_file_delivered_to_the_wrong_inbox_is_rejected_whole(home):
    [path] = deliver(home, SAMPLES / "MNE" / "MNE_2024Q3_trainings.csv", country="SRB")
    [outcome] = ingest_files(home, "SRB", [path], now=NOW)
    assert outcome.status == "rejected" and "SRB inbox" not in outcome.errors[0].expected
    assert "MNE inbox" in outcome.errors[0].fix
    with warehouse.connect(home.warehouse, read_only=True) as con:
        assert con.execute("SELECT status FROM meta.received_files").fetchall() == [("rejected",)]


def test_no_registration_number_in_clear_outside_inbox_and_archive(samples_loaded):
    assert_no_clear_numbers(samples_loaded[0])


def test_the_leak_scanner_finds_every_number_wherever_it_lies():
    """The one-pass scanner of assert_no_clear_numbers against the plain search, one number at a time:
    numbers planted in random bytes, overlapping, glued to digits and letters, at both ends."""
    import random

    numbers = sorted(registration_numbers())
    scanner = NumberScanner(set(numbers))
    rng = random.Random(13)
    noise = bytes(rng.getrandbits(8) for _ in range(20_000))
    for trial in range(40):
        planted = rng.sample(numbers, 3)
        parts = [noise[: rng.randrange(2000)], planted[0].encode() + b"7", b"x" + planted[1].encode(),
                 noise[rng.randrange(2000):][:3000], planted[2].encode()]
        if trial % 2:  # a number whose digits run on into another's start, and a prefix with no number after it
            parts.insert(2, planted[0].encode() + numbers[0].encode() + numbers[0].split("-")[0].encode() + b"-")
        data = b"".join(parts)
        assert scanner.found(data) == sorted(n for n in numbers if n.encode() in data)
        assert set(planted) <= set(scanner.found(data))
    assert scanner.found(noise) == [n for n in numbers if n.encode() in noise] == []


def _stored(settings) -> dict:
    """The raw rows and the registry, without ids and clocks."""
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        out = {table: con.execute(f"SELECT * EXCLUDE (submission_table_id) FROM raw.{table} ORDER BY ALL").fetchall()
               for (table,) in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'raw'").fetchall()}
        out["files"] = con.execute("SELECT country_code, period, file_name, sha256, status, archive_path "
                                   "FROM meta.received_files ORDER BY ALL").fetchall()
        out["tables"] = con.execute("""SELECT country_code, period, table_name, sheet, content_hash, row_count, status,
                                              version, errors, warnings, message FROM meta.submission_tables
                                       ORDER BY ALL""").fetchall()
    return out


@pytest.fixture
def reads(monkeypatch) -> list[tuple[str, list[str]]]:
    """Each call of the reader (read_each_isolated) from here on: the thread that made it and the files."""
    import threading

    import parity.ingest

    calls = []
    real = parity.ingest.read_each_isolated

    def spy(requests, limits):
        calls.append((threading.current_thread().name, sorted(r.name for r in requests)))
        return real(requests, limits)
    monkeypatch.setattr(parity.ingest, "read_each_isolated", spy)
    return calls


def test_a_load_reads_the_next_partition_ahead_and_stores_what_reading_it_then_stores(home, tmp_path, monkeypatch,
                                                                                     reads):
    """`parity load` has each ingest run read the next partition's (archived) files in the background while
    its own are checked and written: each file is read once, and the warehouse holds what loading the
    partitions one load at a time gives."""
    from parity.load import load

    partitions = [("MNE", "2024Q3"), ("BIH", "2024Q4"), ("MNE", "2024Q4")]  # the order a load takes them
    deliver(home, *[f for c, p in partitions for f in sample_files(c, p)])
    report = load(home, say=lambda _: None, build=False)
    assert not report.rejected and not report.failures and report.transform_ok is None
    names = [sorted(f.name for f in sample_files(c, p)) for c, p in partitions]
    assert reads == [("MainThread", names[0]), ("parity-read-ahead", names[1]), ("parity-read-ahead", names[2])]

    one_by_one = point_at(monkeypatch, tmp_path / "one-by-one")
    for country, period in partitions:  # a load of one partition reads nothing ahead
        deliver(one_by_one, *sample_files(country, period))
        assert not load(one_by_one, say=lambda _: None, build=False).rejected
    assert [thread for thread, _ in reads[3:]] == ["MainThread"] * 3
    assert _stored(one_by_one) == _stored(home)


def test_a_file_changed_after_it_was_read_ahead_is_read_again_and_its_old_copy_is_not_kept(home, reads):
    """What reading ahead archived and read counts only for exactly that content: a file changed before
    its run is archived and read again, and the copy of its old content, which nothing registers, leaves
    the archive (clear data is kept only for what the registry holds)."""
    first, second = deliver(home, *sample_files("MNE", "2024Q3")), deliver(home, *sample_files("MNE", "2024Q4"))
    ingest_files(home, "MNE", first, read_ahead=("MNE", second))
    archived = set(home.archive.rglob("*.csv"))
    [changed] = [p for p in second if p.name == "MNE_2024Q4_personnel.csv"]
    lines = changed.read_text(encoding="utf-8").splitlines(keepends=True)
    changed.write_text("".join(lines[:-1]), encoding="utf-8")  # the ministry corrects it: a person fewer
    outcomes = ingest_files(home, "MNE", second)
    assert {o.table: o.status for o in outcomes if o.table == "personnel"} == {"personnel": "accepted"}
    assert [o.rows for o in outcomes if o.table == "personnel"] == [len(lines) - 2]  # header and the one removed
    assert reads[1:] == [("parity-read-ahead", sorted(p.name for p in second)), ("MainThread", [changed.name])]
    with warehouse.connect(home.warehouse, read_only=True) as con:
        registered = {home.home / p for (p,) in con.execute("SELECT archive_path FROM meta.received_files").fetchall()}
    assert set(home.archive.rglob("*.csv")) == registered and len(registered) == 12
    assert len(archived - registered) == 1  # the old content's copy, gone
