"""The demo's year is delivered as a year is (parity/demo.py): on their days, most on time, one late,
one table corrected by a second version; and the Dagster UI's overview names each country x quarter's
state (a late and an on-time delivery of the demo among them)."""
import dataclasses
import datetime as dt

import pytest

from parity import demo, warehouse
from parity.clock import Clock
from parity.config import Config
from parity.deadlines import STATES, delivery_state, first_accepted_personnel, timeliness
from parity.generate import generate
from sources.period import Period

from browser_pages import Page, dagster_webserver
from conftest import point_at

QUARTERS = "2024Q2:2024Q3"  # SRB's late quarter and MKD's corrected one


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """The demo's deliveries of MKD and SRB for two quarters, replayed on their days (not built)."""
    root = tmp_path_factory.mktemp("demo")
    made = root / "made"
    generate(made, Period.range(QUARTERS), ["MKD", "SRB"], scale=0.05, seed=2, progress=False)
    planned = demo.schedule(made, QUARTERS)
    with pytest.MonkeyPatch.context() as env:
        settings = dataclasses.replace(point_at(env, root / "home"), clock=Clock.set_at(demo.CLOCK))
        report = demo.replay(settings, made, QUARTERS, say=lambda _: None, build=False)
    return settings, planned, report


def test_the_replay_delivers_on_time_late_and_a_correction(replayed):
    settings, planned, report = replayed
    assert [(d.country, d.period, d.correction) for d in planned] == [
        ("MKD", "2024Q2", False), ("SRB", "2024Q2", False), ("MKD", "2024Q3", False), ("MKD", "2024Q3", True),
        ("SRB", "2024Q3", False)]
    assert not report.failures and not report.rejected

    config = Config.load()
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        status = {(c, p): timeliness(config.focal_points[c], Period.parse(p), first_accepted_personnel(con, c).get(p),
                                     settings.clock.now())
                  for c in ("MKD", "SRB") for p in ("2024Q2", "2024Q3")}
        versions = dict(con.execute("SELECT table_name, max(version) FROM meta.submission_tables WHERE country_code = "
                                    "'MKD' AND period = '2024Q3' GROUP BY ALL").fetchall())
        rows = con.execute("SELECT version, row_count FROM meta.submission_tables WHERE country_code = 'MKD' AND "
                           "period = '2024Q3' AND table_name = 'trainings' ORDER BY version").fetchall()
    assert status == {("MKD", "2024Q2"): "on_time", ("SRB", "2024Q2"): "late", ("MKD", "2024Q3"): "on_time",
                      ("SRB", "2024Q3"): "on_time"}
    assert versions["trainings"] == 2 and versions["personnel"] == 1
    assert rows[0][1] < rows[1][1]  # the first version was short, the correction whole


def test_the_headcount_balance_runs_on_every_normal_delivery(replayed):
    """Delivered in order, every quarter after the first compares its personnel with the previous
    quarter's and its separations: no report of 2024Q3 skips it; those of 2024Q2 wait for 2024Q1."""
    settings = replayed[0]
    later = sorted(settings.quality_dir.glob("*/2024Q3/*.html"))
    assert len(later) == 3  # MKD's two versions (the correction) and SRB's
    for report in later:
        html = report.read_text(encoding="utf-8")
        assert "(done once they arrive)" not in html and "(done once it arrives)" not in html, report.name
    first = sorted(settings.quality_dir.glob("*/2024Q2/*.html"))
    assert len(first) == 2 and all("(done once they arrive)" in r.read_text(encoding="utf-8") for r in first)


def test_each_state_of_a_country_quarter():
    fp = Config.load().focal_points["MNE"]  # first quarter 2023Q1, due 30 days after the quarter
    q = Period.parse("2024Q3")
    at = lambda text: dt.datetime.fromisoformat(text)  # noqa: E731
    assert delivery_state(fp, Period.parse("2022Q4"), None, False, at("2025-01-01T00:00+00:00")) == "not_expected"
    assert delivery_state(fp, q, None, False, at("2024-09-15T00:00+00:00")) == "not_yet_due"
    assert delivery_state(fp, q, None, False, at("2024-10-15T00:00+00:00")) == "awaited"
    assert delivery_state(fp, q, None, True, at("2024-10-15T00:00+00:00")) == "rejected"
    assert delivery_state(fp, q, at("2024-10-20T00:00+00:00"), True, at("2024-12-01T00:00+00:00")) == "on_time"
    assert delivery_state(fp, q, at("2024-11-02T00:00+00:00"), False, at("2024-12-01T00:00+00:00")) == "late"
    assert delivery_state(fp, q, None, False, at("2024-11-01T00:00+00:00")) == "missing"
    assert delivery_state(fp, q, None, True, at("2024-11-01T00:00+00:00")) == "rejected"
    assert set(STATES) == {"not_expected", "not_yet_due", "awaited", "on_time", "late", "missing", "rejected"}


def test_the_dagster_overview_names_each_country_quarter_s_state(replayed, browser):
    """The `deadlines` job (as its morning schedule runs it, on the demo's clock), then the UI: the
    timeliness asset's table says SRB's 2024Q2 was late and MKD's on time; the countries with an
    overdue quarter have a failed check."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.instance import prepare_dagster_home
    from orchestration.resources import parity_run_config

    settings = replayed[0]
    instance = DagsterInstance.from_config(str(prepare_dagster_home(settings)))
    result = defs.resolve_job_def("deadlines").execute_in_process(instance=instance,
                                                                   run_config=parity_run_config(settings))
    assert result.success
    checks = {e.event_specific_data.check_name: e.event_specific_data.passed for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert checks == {"nothing_overdue_BIH": False, "nothing_overdue_MKD": False, "nothing_overdue_MNE": False,
                      "nothing_overdue_SRB": False}  # 2023Q1 to 2024Q1 never came, nor 2024Q4

    with dagster_webserver(settings.home, "dagster-webserver-demo.log") as url:
        view = Page(browser, width=1600, height=1100)
        view.page.goto(f"{url}/assets/meta/timeliness")
        try:
            view.page.get_by_text("2024Q2", exact=True).first.wait_for(timeout=90_000)
            rows = view.page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('tr')]
                .map(tr => [...tr.querySelectorAll('th, td')].map(c => c.innerText.trim()))
                .filter(cells => /^20\\d\\dQ\\d$/.test(cells[0] || '')).map(cells => [cells[0], cells.slice(1)]))""")
            header = view.page.evaluate("""() => [...document.querySelectorAll('tr')].map(tr =>
                [...tr.querySelectorAll('th, td')].map(c => c.innerText.trim())).find(c => c[0] === 'quarter')""")
        finally:
            view.screenshot("dagster_timeliness_overview")
    by_country = dict(zip(header[1:], zip(*[rows[q] for q in ("2024Q2", "2024Q3", "2024Q4")]), strict=True))
    assert by_country["SRB"] == ("late", "on time", "missing")
    assert by_country["MKD"] == ("on time", "on time", "missing")
    assert rows["2025Q1"] == ["not yet due"] * 4 and rows["2023Q1"] == ["missing"] * 4
    assert view.errors == []
