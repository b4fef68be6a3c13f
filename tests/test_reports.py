"""The quarterly reports: every figure with its numbers, definitions and sources, suppressed cells
shown as such, no small cell anywhere, offline HTML and a real PDF, rebuilt when their data change."""
import shutil
from html import unescape
from html.parser import HTMLParser

import dagster as dg
import duckdb
import pytest

from orchestration.defs.reports.assets import quarterly_reports, report_partition_key
from orchestration.defs.reports.sensors import reports_when_changed
from orchestration.resources import ParityResource
from parity.cli import main
from parity.config import Config, Settings
from parity.regions import areas
from parity.reports.build import build_reports
from parity.reports.figures import CATEGORY_SERIES

FIGURE_TITLES = ("Women's share by category over time", "Rank pyramid by sex (NATO bands)",
                 "Women in command and decision-making posts", "Recruitment funnel by sex",
                 "Attrition and promotion by sex", "Peacekeeping deployment against the UN parity targets",
                 "Gender-training coverage", "Complaints of discrimination and harassment")
COUNT_HEADERS = {"Numerator", "Denominator", "Women", "Men", "Persons", "Total"}


class Tables(HTMLParser):
    """The report's tables as (headers, rows of cells), and whether it has any script or remote resource."""
    def __init__(self):
        super().__init__()
        self.tables, self.row, self.cell, self.remote, self.svgs = [], None, None, [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" or attrs.get("src") or (attrs.get("href") or "").startswith(("http", "//")):
            self.remote.append((tag, attrs))
        if tag == "svg":
            self.svgs += 1
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[-1].append(self.row)
            self.row = None


def parse(path) -> Tables:
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def reports(history):
    return build_reports(history, Config.load(), "2024Q4")


def test_each_area_gets_an_offline_html_and_a_pdf(reports):
    assert [r.area for r in reports] == list(areas()) == ["BIH", "MKD", "MNE", "SRB", "WB4"]
    for report in reports:
        assert report.html.name == f"parity_{report.area}_2024Q4.html"
        assert report.pdf.read_bytes().startswith(b"%PDF") and report.pdf.stat().st_size > 20_000
        page = parse(report.html)
        assert page.remote == [], "a report must open offline: no script, no remote resource"
        text = unescape(report.html.read_text(encoding="utf-8"))
        for title in FIGURE_TITLES:
            assert title in text
        assert page.svgs >= 7  # a chart per figure (complaints may have none to draw)
        assert text.count("Definitions and sources") >= len(FIGURE_TITLES)
        assert "personnel version 1, received" in text  # the submission the figures came from
    region = unescape(reports[-1].html.read_text(encoding="utf-8"))
    assert "Women among uniformed personnel, by country" in region
    for country in ("Bosnia and Herzegovina", "Montenegro", "North Macedonia", "Serbia"):
        assert country in region


def test_the_status_table_shows_timeliness_and_quality_per_country(reports):
    status = parse(reports[-1].html).tables[0]
    assert status[0][:4] == ["Country", "Due", "Timeliness", "Quality check"]
    rows = {row[0]: row for row in status[1:]}
    assert set(rows) == {"Bosnia and Herzegovina", "Montenegro", "North Macedonia", "Serbia"}
    for row in rows.values():
        # generated and delivered today, long after the 2024Q4 due dates
        assert row[2] == "Late" and row[3] in ("Accepted", "Accepted with warnings") and row[6] == "1"
        assert "personnel v1" in row[7]


def test_no_report_shows_a_small_cell_and_suppressed_cells_say_so(reports, history):
    suppressed_somewhere = False
    for report in reports:
        for table in parse(report.html).tables[1:]:
            headers = table[0]
            for row in table[1:]:
                for header, cell in zip(headers, row):
                    if header in COUNT_HEADERS:
                        assert cell not in ("1", "2"), f"{report.html.name}: {header} {row}"
                    suppressed_somewhere |= cell == "suppressed"
    assert suppressed_somewhere
    # a row the public twin suppresses is shown as suppressed in the over-time table
    with duckdb.connect(str(history.public_warehouse), read_only=True) as con:
        hidden = con.execute("SELECT country_code, period, indicator_code FROM indicator_values_public "
                             "WHERE obs_status = 'C' AND breakdown = 'total' AND indicator_code IN (SELECT unnest(?)) "
                             "AND country_code <> 'WB4' ORDER BY ALL LIMIT 1", [list(CATEGORY_SERIES)]).fetchone()
    if hidden:
        country, period, code = hidden
        report = next(r for r in reports if r.area == country)
        over_time = parse(report.html).tables[1]
        column = over_time[0].index(CATEGORY_SERIES[code])
        assert next(row for row in over_time if row[0] == period)[column] == "suppressed"


@pytest.fixture
def copied_home(history, tmp_path, monkeypatch) -> Settings:
    """A copy of the loaded home, free to change."""
    home = tmp_path / "home"
    shutil.copytree(history.home, home, ignore=shutil.ignore_patterns("dagster", "archive", "inbox", "reports"))
    monkeypatch.setenv("PARITY_HOME", str(home))
    return Settings.from_env()


def test_reports_are_rebuilt_when_their_quarter_changes(copied_home):
    resources = {"parity": ParityResource(home=str(copied_home.home))}
    with dg.instance_for_test() as instance:
        first = reports_when_changed(dg.build_sensor_context(instance=instance, resources=resources))
        assert sorted(r.partition_key for r in first) == sorted(
            str(report_partition_key(area, period)) for area in areas()
            for period in ("2024Q1", "2024Q2", "2024Q3", "2024Q4"))
        cursor = dg.build_sensor_context(instance=instance, resources=resources)
        reports_when_changed(cursor)
        assert isinstance(reports_when_changed(
            dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor.cursor)), dg.SkipReason)

        # a correction of Montenegro's 2024Q3 reaches the public side: the reports that show it are its
        # quarter's, the next quarter's (its time series) and the region's comparison of that quarter
        with duckdb.connect(str(copied_home.public_warehouse)) as con:
            con.execute("UPDATE indicator_values_public SET value = value + 0.5 WHERE country_code = 'MNE' "
                        "AND period = '2024Q3' AND indicator_code = 'WSHARE_OFFICERS' AND breakdown = 'total'")
        again = reports_when_changed(
            dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor.cursor))
        assert sorted(r.partition_key for r in again) == sorted(
            str(report_partition_key(area, period)) for area, period in
            (("MNE", "2024Q3"), ("MNE", "2024Q4"), ("WB4", "2024Q3")))


def test_the_dagster_asset_writes_the_partition_report(copied_home):
    result = dg.materialize([quarterly_reports], partition_key=str(report_partition_key("WB4", "2024Q3")),
                            resources={"parity": ParityResource(home=str(copied_home.home))})
    assert result.success
    metadata = result.asset_materializations_for_node("reports__quarterly")[0].metadata
    html = copied_home.home / "reports" / "2024Q3" / "parity_WB4_2024Q3.html"
    assert metadata["html"].value == str(html) and html.exists() and html.with_suffix(".pdf").exists()


def test_parity_report_command(copied_home, capsys, monkeypatch, tmp_path):
    assert main(["report", "--period", "2024Q2", "--country", "SRB", "--no-pdf"]) == 0
    assert "parity_SRB_2024Q2.html" in capsys.readouterr().out
    assert main(["report", "--period", "2019Q1"]) == 1
    assert "quarters with data: 2024Q1, 2024Q2, 2024Q3, 2024Q4" in capsys.readouterr().err

    monkeypatch.setenv("PATH", str(tmp_path))  # no Chromium: a clear message, not a traceback
    monkeypatch.delenv("PARITY_CHROMIUM", raising=False)
    assert main(["report", "--country", "BIH"]) == 1
    assert "run `make browser`" in capsys.readouterr().err
