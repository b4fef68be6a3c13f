"""The star schema and the indicator marts: equal to an independent computation, whatever the order
the files arrive in (the session's warehouse arrived in an order no MoD would choose: conftest.history),
and a correction changes exactly the rows that depend on it."""
import duckdb
import pandas as pd
import pytest

from parity import warehouse
from parity.generate import simulate
from parity.load import load
from sources.period import Period

from conftest import COUNTRIES, HISTORY_PERIODS, HISTORY_SCALE, HISTORY_SEED, copy_home, point_at
from reference_indicators import KEY, reference_indicators

PERIODS = Period.range(f"{HISTORY_PERIODS[0]}:{HISTORY_PERIODS[-1]}")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The indicators computed in pandas from the same canonical tables as the session's deliveries."""
    data = {(c, str(p)): tables for c, p, tables in
            simulate(PERIODS, list(COUNTRIES), scale=HISTORY_SCALE, seed=HISTORY_SEED)}
    return reference_indicators(data)


def marts(settings, table: str = "indicator_values") -> pd.DataFrame:
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        return con.execute(f"SELECT * FROM marts.{table} ORDER BY ALL").df()


def assert_equals_reference(mart: pd.DataFrame, reference: pd.DataFrame) -> None:
    got = mart.sort_values(KEY, ignore_index=True)
    missing = reference.merge(got[KEY], how="left", indicator=True).query("_merge == 'left_only'")
    extra = got.merge(reference[KEY], how="left", indicator=True).query("_merge == 'left_only'")
    assert missing.empty and extra.empty, f"missing:\n{missing.head(10)}\nextra:\n{extra.head(10)}"
    merged = reference.merge(got, on=KEY, suffixes=("_expected", ""))
    for column in ("numerator", "denominator"):
        expected = merged[f"{column}_expected"].astype("Int64")
        assert expected.equals(merged[column].astype("Int64")), merged[expected.ne(merged[column]).fillna(True)]
    pd.testing.assert_series_equal(merged["value"], merged["value_expected"], check_names=False, rtol=1e-12)
    assert (merged["unit"] == merged["unit_expected"]).all() and (got["obs_status"] == "A").all()


def assert_public_tables(session) -> None:
    """public.duckdb holds the published relations only, with their column comments."""
    tables = {t for (t,) in session.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"indicator_values_public", "dim_period", "dim_rank", "un_parity_gap"} <= tables
    assert "indicator_values" not in tables and "fct_personnel_quarter" not in tables
    columns = {c for (c,) in session.execute("SELECT column_name FROM duckdb_columns()").fetchall()}
    assert "person_key" not in columns
    assert session.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'indicator_values_public' "
                           "AND column_name = 'obs_status'").fetchone()[0].startswith("A (normal)")


def assert_complete_and_confidential(mart: pd.DataFrame, reference: pd.DataFrame, public: pd.DataFrame) -> None:
    """Every indicator, every breakdown and the region are there; the public twin hides small cells."""
    assert set(mart.indicator_code) == set(reference.indicator_code) and len(set(mart.indicator_code)) == 19
    assert set(mart.breakdown) == {"total", "sex", "service", "nato_rank", "rank_band", "channel", "organization",
                                   "role", "un_role", "type"}
    assert set(mart[mart.country_code == "WB4"].period) == {str(p) for p in PERIODS}
    # attrition and promotion need snapshot(q-1): none in the first quarter delivered
    assert not mart[(mart.period == "2024Q1") & mart.indicator_code.isin(["ATTRITION_RATE", "PROMOTION_RATE"])].size

    assert public[KEY].equals(mart[KEY])
    shown = public[public.obs_status == "A"]
    small = shown.numerator.between(1, 2) | (shown.denominator - shown.numerator).between(1, 2)
    assert not small.any() and (public.obs_status == "C").sum() > 0
    hidden = public[public.obs_status == "C"]
    assert hidden[["numerator", "denominator", "value"]].isna().all().all()


def test_any_arrival_order_gives_the_marts_of_an_independent_computation_and_a_correction_changes_only_its_dependents(
        history, reference, tmp_path, monkeypatch):
    """The session's warehouse (the later quarters first, MKD's 2024Q3 events before its personnel)
    equals the pandas computation of the same tables row for row. On a copy, MKD's 2024Q1 trainings are
    sent again with half their rows, then whole: the marts are the reference again, and the correction
    changed only what depends on it. An analyst who opened public.duckdb before keeps their snapshot
    through both loads, neither blocked nor broken. (That an incremental build equals a full refresh,
    table by table, is test_incremental's.)"""
    assert_equals_reference(marts(history), reference)
    assert_complete_and_confidential(marts(history), reference, marts(history, "indicator_values_public"))

    settings = copy_home(history.home, point_at(monkeypatch, tmp_path / "home"))
    trainings = settings.inbox / "MKD" / "MKD_2024Q1_trainings.csv"
    whole = trainings.read_bytes()
    lines = whole.splitlines(keepends=True)
    coverage = ("SELECT value FROM indicator_values_public WHERE indicator_code = 'TRAINING_COVERAGE' "
                "AND country_code = 'MKD' AND period = '2024Q1' AND breakdown = 'total'")
    session = duckdb.connect(str(settings.public_warehouse), read_only=True)
    try:
        assert_public_tables(session)
        seen = session.execute(coverage).fetchall()
        trainings.write_bytes(b"".join(lines[: len(lines) // 2]))  # a filter left on in the MoD's spreadsheet
        report = load(settings, say=lambda _: None)
        assert report.transform_ok and [(r[2], r[5]) for r in report.rows] == [("trainings", 2)]
        before = marts(settings)
        now = before.query("indicator_code == 'TRAINING_COVERAGE' and country_code == 'MKD' and period == '2024Q1' "
                           "and breakdown == 'total'").value.tolist()
        # the load while the session was open neither blocked nor broke it: it still sees its snapshot
        assert session.execute(coverage).fetchall() == seen and [v for (v,) in seen] != now
        trainings.write_bytes(whole)  # the whole table again: version 3
        report = load(settings, say=lambda _: None)
        assert report.transform_ok and [(r[2], r[5]) for r in report.rows] == [("trainings", 3)]
    finally:
        session.close()
    assert not [p for p in settings.home.iterdir() if p.name.endswith(".tmp")]
    after = marts(settings)
    assert_equals_reference(after, reference)

    changed = before.merge(after, how="outer", indicator=True).query("_merge != 'both'")
    assert not changed.empty
    assert set(changed.indicator_code) <= {"TRAINING_COVERAGE", "GENDER_COACH_TOTAL"}
    assert set(changed.country_code) <= {"MKD", "WB4"}
    # the cumulative indicators of every later quarter moved with it
    coverage_rows = changed[(changed.indicator_code == "TRAINING_COVERAGE") & (changed.country_code == "MKD")
                            & (changed.breakdown == "total")]
    assert set(coverage_rows.period) == {str(p) for p in PERIODS}
