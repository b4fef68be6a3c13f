"""The synthetic deliveries: exact formats (they read back cleanly), calibrated, stable numbers."""
import pandas as pd
import pytest

from parity.generate import generate, simulate
from parity.generate.calibration import COUNTRIES
from sources import read_delivery
from sources.period import Period
from sources.ranks import ranks_of

from conftest import NOW

PERIODS = Period.range("2024Q3:2024Q4")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Two quarters of the four MoDs as files, read back (the dialects: a small scale is enough)."""
    out = tmp_path_factory.mktemp("generated")
    generate(out, PERIODS, ["BIH", "MKD", "MNE", "SRB"], scale=0.1, seed=7, progress=False)
    tables = {}
    for path in sorted(out.glob("*/*")):
        for table in read_delivery(path, inbox_country=path.parent.name, now=NOW):
            assert table.accepted, [p.message() for p in table.problems[:5]]
            tables[(table.country, table.period, table.table)] = table.frame
    return out, tables


@pytest.fixture(scope="module")
def simulated():
    """The same two quarters at full scale, as the simulation hands them to the writer (the canonical
    tables the files above are written from and read back to): the calibration's figures."""
    return {(country, str(period), table): frame
            for country, period, tables in simulate(PERIODS, ["BIH", "MKD", "MNE", "SRB"], scale=1.0, seed=7)
            for table, frame in tables.items()}


def test_every_file_follows_its_dialect(generated):
    out, tables = generated
    assert len(tables) == 4 * 2 * 6
    assert sorted(p.name for p in (out / "BIH").iterdir()) == ["BIH_2024Q3.xlsx", "BIH_2024Q4.xlsx"]
    assert (out / "SRB" / "SRB_2024Q3_personnel.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    (out / "MKD" / "MKD_2024Q3_personnel.csv").read_bytes().decode("cp1251")
    srb = (out / "SRB" / "SRB_2024Q3_personnel.csv").read_text(encoding="utf-8-sig")
    assert "официр" in srb and "oficir" in srb.lower()  # both scripts occur


@pytest.mark.parametrize("country", ["BIH", "MKD", "MNE", "SRB"])
def test_calibrated_to_published_figures(simulated, country):
    tables = simulated
    people = tables[(country, "2024Q4", "personnel")]
    c = COUNTRIES[country]
    uniformed = people[people["category"].isin(["officer", "nco", "soldier"])]
    assert len(uniformed) == pytest.approx(c.uniformed, rel=0.03)
    assert (people["category"] == "civilian").sum() == pytest.approx(c.civilians, rel=0.05)
    for category in ("officer", "nco", "soldier", "civilian"):
        share = (people.loc[people["category"] == category, "sex"] == "F").mean()
        assert share == pytest.approx(c.women_share[category], abs=0.02), category


@pytest.mark.parametrize("country", ["BIH", "SRB"])
def test_no_woman_above_of5(simulated, country):
    tables = simulated
    nato = {r.local_rank: r.nato_code for r in ranks_of(country)}
    people = tables[(country, "2024Q4", "personnel")]
    women = people[(people["sex"] == "F") & people["rank"].notna()]
    assert not women["rank"].map(nato).isin(["OF-6", "OF-7", "OF-8", "OF-9"]).any()


def test_registration_numbers_are_stable_and_events_consistent(generated):
    _, tables = generated
    q3, q4 = tables[("MKD", "2024Q3", "personnel")], tables[("MKD", "2024Q4", "personnel")]
    stayed = set(q3["personnel_no"]) & set(q4["personnel_no"])
    left = set(tables[("MKD", "2024Q4", "separations")]["personnel_no"])
    assert left <= set(q3["personnel_no"]) and not left & set(q4["personnel_no"])
    assert len(stayed) == len(q3) - len(left)
    joined = set(q4["personnel_no"]) - set(q3["personnel_no"])
    entry = q4.set_index("personnel_no").loc[sorted(joined), "entry_date"]
    assert (entry >= pd.Timestamp("2024-10-01")).all()
    deployed = tables[("MKD", "2024Q4", "deployments")]
    assert set(deployed["personnel_no"]) <= set(q4["personnel_no"])
    assert (deployed["start_date"] <= pd.Timestamp("2024-12-31")).all()


def test_women_share_rises_over_the_years(tmp_path):
    generate(tmp_path, [Period.parse("2016Q4"), Period.parse("2024Q4")], ["MNE"], scale=1.0, progress=False)
    share = {}
    for period in ("2016Q4", "2024Q4"):
        [table] = read_delivery(tmp_path / "MNE" / f"MNE_{period}_personnel.csv", now=NOW)
        uniformed = table.frame[table.frame["category"].isin(["officer", "nco", "soldier"])]
        share[period] = (uniformed["sex"] == "F").mean()
    assert 0.01 < share["2024Q4"] - share["2016Q4"] < 0.05  # a few tenths of a point a year
