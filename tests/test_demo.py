"""The demo's year is delivered as a year is (parity/demo.py): on their days, most on time, one late,
one table corrected by a second version."""
import dataclasses

from parity import demo, warehouse
from parity.clock import Clock
from parity.config import Config
from parity.deadlines import first_accepted_personnel, timeliness
from parity.generate import generate
from sources.period import Period


def test_the_replay_delivers_on_time_late_and_a_correction(home, tmp_path):
    made = tmp_path / "made"
    quarters = "2024Q2:2024Q3"  # SRB's late quarter and MKD's corrected one
    generate(made, Period.range(quarters), ["MKD", "SRB"], scale=0.05, seed=2, progress=False)
    planned = demo.schedule(made, quarters)
    assert [(d.country, d.period, d.correction) for d in planned] == [
        ("MKD", "2024Q2", False), ("SRB", "2024Q2", False), ("MKD", "2024Q3", False), ("MKD", "2024Q3", True),
        ("SRB", "2024Q3", False)]
    settings = dataclasses.replace(home, clock=Clock.set_at(demo.CLOCK))
    report = demo.replay(settings, made, quarters, say=lambda _: None, build=False)
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
