"""The star schema and the indicator marts: equal to an independent computation, whatever the order
the files arrive in, and a correction changes exactly the rows that depend on it."""
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from parity import warehouse
from parity.generate import generate, simulate
from parity.load import load
from sources.period import Period

from conftest import COUNTRIES, deliver
from reference_indicators import KEY, reference_indicators

PERIODS = Period.range("2024Q1:2024Q4")
SCALE, SEED = 0.25, 3


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """Four quarters of the four countries as delivery files, and the indicators computed from the
    same canonical tables in pandas."""
    out = tmp_path_factory.mktemp("generated")
    generate(out, PERIODS, list(COUNTRIES), scale=SCALE, seed=SEED, progress=False)
    data = {(c, str(p)): tables for c, p, tables in simulate(PERIODS, list(COUNTRIES), scale=SCALE, seed=SEED)}
    return out, reference_indicators(data)


def files(out: Path, country: str, period: str, tables: tuple[str, ...] | None = None) -> list[Path]:
    """A country's files of one quarter; BIH sends one workbook, the others a CSV per table."""
    if country == "BIH":
        return [out / "BIH" / f"BIH_{period}.xlsx"]
    return [out / country / f"{country}_{period}_{t}.csv" for t in
            (tables or ("personnel", "recruitment", "separations", "deployments", "trainings", "complaints"))]


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


def public_periods(session) -> set[str]:
    return {p for (p,) in session.execute("SELECT DISTINCT period FROM indicator_values_public").fetchall()}


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
        home, generated, tmp_path):
    """The four quarters of the four countries arrive in two loads, in an order no MoD would choose,
    with a wrong table corrected at the end: the marts equal the pandas computation of the same
    tables row for row, and the correction changed only what depends on it. (That an incremental
    build equals a full refresh, table by table, is test_incremental's.)"""
    out, reference = generated
    wrong = tmp_path / "wrong"
    # a first MKD 2024Q1 trainings table with half its rows, corrected at the end
    trainings = files(out, "MKD", "2024Q1", ("trainings",))[0]
    lines = trainings.read_bytes().splitlines(keepends=True)
    (wrong / "MKD").mkdir(parents=True)
    (wrong / "MKD" / trainings.name).write_bytes(b"".join(lines[: len(lines) // 2]))
    events = ("recruitment", "separations", "deployments", "trainings", "complaints")
    arrivals = [
        # the later quarters first; MKD's 2024Q3 events before its personnel
        [f for c in COUNTRIES for f in files(out, c, "2024Q4")]
        + [f for c in ("BIH", "MNE", "SRB") for f in files(out, c, "2024Q3")] + files(out, "MKD", "2024Q3", events),
        # 2024Q1 with the wrong MKD trainings, 2024Q2, and MKD's 2024Q3 personnel after its events
        [f for c in COUNTRIES for f in files(out, c, "2024Q1") if f.name != trainings.name]
        + [wrong / "MKD" / trainings.name] + [f for c in COUNTRIES for f in files(out, c, "2024Q2")]
        + files(out, "MKD", "2024Q3", ("personnel",)),
    ]
    session = None
    try:
        for batch in arrivals:
            deliver(home, *batch)
            assert load(home).transform_ok
            if session is None:  # an analyst opens public.duckdb after the first load and keeps it open
                session = duckdb.connect(str(home.public_warehouse), read_only=True)
                assert_public_tables(session)
                seen = public_periods(session)
        # the loads while the session was open neither blocked nor broke it: it still sees its snapshot
        assert public_periods(session) == seen != {str(p) for p in PERIODS}
    finally:
        if session is not None:
            session.close()
    with duckdb.connect(str(home.public_warehouse), read_only=True) as fresh:
        assert public_periods(fresh) == {str(p) for p in PERIODS}
    assert not [p for p in home.home.iterdir() if p.name.endswith(".tmp")]
    before = marts(home)

    deliver(home, trainings)  # the correction
    report = load(home)
    assert report.transform_ok and [r[2] for r in report.rows] == ["trainings"]
    after = marts(home)
    assert_equals_reference(after, reference)
    assert_complete_and_confidential(after, reference, marts(home, "indicator_values_public"))

    changed = before.merge(after, how="outer", indicator=True).query("_merge != 'both'")
    assert not changed.empty
    assert set(changed.indicator_code) <= {"TRAINING_COVERAGE", "GENDER_COACH_TOTAL"}
    assert set(changed.country_code) <= {"MKD", "WB4"}
    # the cumulative indicators of every later quarter moved with it
    coverage = changed[(changed.indicator_code == "TRAINING_COVERAGE") & (changed.country_code == "MKD")
                       & (changed.breakdown == "total")]
    assert set(coverage.period) == {str(p) for p in PERIODS}

