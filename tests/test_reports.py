"""The quarterly reports: each country's in its language and English, the region's in all five, as
offline HTML, PDF and their tables (CSV, XLSX); page 1 the headline figures and key messages; every
number shown equal to the published table of the release it cites, none from a withheld row; a
status report for a quarter without figures; rebuilt when their data change."""
import csv
import re
import shutil
from html import unescape
from html.parser import HTMLParser

import dagster as dg
import duckdb
import pytest
from openpyxl import load_workbook
from test_messages import english_words_in

from orchestration.defs.reports.assets import quarterly_reports, report_partition_key
from orchestration.defs.reports.sensors import reports_when_changed
from orchestration.resources import ParityResource
from parity.cli import main
from parity.config import Config, Settings
from parity.messages import LANGUAGES, entries
from parity.regions import areas
from parity.reports.build import build_reports, report_languages
from parity.reports.tables import COLUMNS

PERIOD = "2024Q4"
DECIMAL = {"en": "."}  # every other language writes a decimal comma (CLDR)


class Page(HTMLParser):
    """What a report shows: its language, its visible text, the numbers that say what they are, and
    anything that would need the network."""
    def __init__(self):
        super().__init__()
        self.lang, self.text, self.numbers, self.remote, self.meta = None, [], [], [], {}
        self._number, self._skip = None, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "meta" and attrs.get("name", "").startswith("parity-"):
            self.meta[attrs["name"]] = attrs["content"]
        if tag in ("style", "title", "desc"):
            self._skip += 1
        if tag == "script" or attrs.get("src") or (attrs.get("href") or "").startswith(("http", "//")):
            self.remote.append((tag, attrs))
        if "data-indicator" in attrs:
            self._number = [{k[5:]: v for k, v in attrs.items() if k.startswith("data-")}, ""]

    def handle_endtag(self, tag):
        if tag in ("style", "title", "desc"):
            self._skip -= 1
        if tag in ("span", "text") and self._number is not None:
            self.numbers.append(tuple(self._number))
            self._number = None

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
        if self._number is not None:
            self._number[1] += data


def read(path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def parse_number(text: str, lang: str) -> float:
    """A number as the language writes it: thousands separators out, its decimal sign to a point."""
    text = text.replace("\u2212", "-").replace("\u00b1", "").replace("%", "").replace("\xa0", "").strip()
    decimal = DECIMAL.get(lang, ",")
    thousands = "," if decimal == "." else "."
    return float(text.replace(thousands, "").replace(decimal, "."))


@pytest.fixture(scope="module")
def reports(history):
    """Every report of the quarter: Montenegro's two printed by the product's path (Chromium's own print,
    one browser each), the others' pages counted from the same engine's print in one browser (below)."""
    config = Config.load()
    printed = build_reports(history, config, PERIOD, areas=("MNE",))
    return [r for r in build_reports(history, config, PERIOD, pdf=False) if r.area != "MNE"] + printed


def _printed(report, browser) -> bytes:
    if report.pdf is not None:
        return report.pdf.read_bytes()
    page = browser.new_page()
    try:
        page.goto(report.html.as_uri())
        return page.pdf(prefer_css_page_size=True)
    finally:
        page.close()


def test_each_country_in_its_language_and_english_the_region_in_five(reports, browser):
    built = {(r.area, r.lang) for r in reports}
    assert built == {("BIH", "bs"), ("BIH", "en"), ("MKD", "mk"), ("MKD", "en"), ("MNE", "cnr"), ("MNE", "en"),
                     ("SRB", "sr"), ("SRB", "en")} | {("WB4", lang) for lang in LANGUAGES}
    assert report_languages("MNE") == ("cnr", "en") and list(areas()) == ["BIH", "MKD", "MNE", "SRB", "WB4"]
    for report in reports:
        assert report.html.name == f"parity_{report.area}_{PERIOD}_{report.lang}.html"
        page = read(report.html)
        assert page.lang == {"sr": "sr-Cyrl"}.get(report.lang, report.lang)
        assert page.remote == [], "a report must open offline: no script, no remote resource"
        # what identifies the file is in its metadata, not on the page
        text = " ".join(page.text)
        assert page.meta["parity-fingerprint"] == report.fingerprint and report.fingerprint[:16] not in text
        assert "indicators.md" in page.meta["parity-definitions"] and "indicators.md" not in text
        # the other languages of the same report, by the project's own names (never a library's)
        others = {"MNE": {"cnr": "English", "en": "Crnogorski"}}.get(report.area, {}).get(report.lang)
        assert others is None or (others in text and "latinica" not in text)
        pdf = _printed(report, browser)
        pages = int(re.search(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", pdf, re.S)[1])
        assert pdf.startswith(b"%PDF") and 2 <= pages <= (6 if report.area == "WB4" else 4), (report.pdf, pages)
        # page numbers and a running header, in the language, from the page's own CSS
        css = report.html.read_text(encoding="utf-8")
        assert "counter(page)" in css and "counter(pages)" in css and "@top-left" in css


def test_page_one_holds_headline_figures_and_key_messages(reports):
    for report in reports:
        html = report.html.read_text(encoding="utf-8")
        factsheet = html.split('<section class="factsheet"', 1)[1].split("</section>", 1)[0]
        assert factsheet.count('class="tile"') == 6, report.html
        messages = re.findall(r"<li>(.*?)</li>", factsheet.split('class="messages"', 1)[1], re.S)
        assert 1 <= len(messages) <= 5, report.html
        assert "break-after: page" in html


def test_no_english_label_in_a_report_in_another_language(reports):
    names = set(entries()["labels"]["language"][lang] for lang in LANGUAGES)  # each language by its own name
    for report in reports:
        if report.lang != "en":
            text = " ".join(read(report.html).text)
            for name in names:
                text = text.replace(name, "")
            assert english_words_in(text) == set(), report.html


@pytest.fixture(scope="module")
def published(history):
    """indicator_values_history (every release's rows), the UN gap rows, keyed as the reports' numbers are."""
    with duckdb.connect(str(history.public_warehouse), read_only=True) as con:
        rows = con.execute("SELECT indicator_code, country_code, period, breakdown, breakdown_value, numerator, "
                           "denominator, value, obs_status, first_release_id, last_release_id "
                           "FROM indicator_values_history").fetchall()
        gaps = {(c, p, r): t for c, p, r, t in con.execute(
            "SELECT country_code, period, un_role, target_percent FROM un_parity_gap").fetchall()}
        members = [c for (c,) in con.execute("SELECT country_code FROM dim_country WHERE NOT is_region "
                                             "ORDER BY 1").fetchall()]
    return rows, gaps, members


def _as_of(rows, release: int) -> dict[tuple, tuple]:
    """The published table of a release: first_release_id <= R and (last_release_id IS NULL or >= R)."""
    return {r[:5]: r[5:9] for r in rows if r[9] <= release and (r[10] is None or r[10] >= release)}


def test_every_number_equals_the_published_table_of_its_release_and_none_is_withheld(reports, published):
    """Recomputed from public.duckdb, not from the report's code: values, women, totals and men, changes
    (in points), ranks among the region's countries, the UN targets and the gaps to them, within the
    precision shown."""
    rows, gaps, members = published
    checked = {"value": 0, "numerator": 0, "denominator": 0, "complement": 0, "change": 0, "rank": 0, "target": 0,
               "gap": 0}
    tables = {}
    for report in reports:
        page = read(report.html)
        assert page.numbers, report.html
        for attributes, text in page.numbers:
            release = int(attributes["release"])
            assert str(release) == page.meta["parity-release"]
            table = tables.setdefault(release, _as_of(rows, release))
            key = (attributes["indicator"], attributes["area"], attributes["period"], attributes["breakdown"],
                   attributes["breakdown-value"])
            numerator, denominator, value, status = table[key]
            shown, kind = parse_number(text, report.lang), attributes["kind"]
            # the UN's target for the year is the UN's, shown whatever the row; every other number is the row's
            assert status == "A" or kind == "target", (report.html, key, "a withheld row's number is shown")
            if kind == "value":
                assert abs(shown - value) <= (0.05 if attributes["unit"] != "count" else 0.5), (key, text, value)
            elif kind in ("numerator", "denominator"):
                assert shown == {"numerator": numerator, "denominator": denominator}[kind], (key, kind, text)
            elif kind == "complement":
                assert shown == denominator - numerator, (key, text)
            elif kind == "change":
                before = table[(*key[:2], attributes["base"], *key[3:])]
                assert before[3] == "A", (key, "a change from a withheld row")
                assert abs(shown - (value - before[2])) <= 0.051, (key, text, value, before[2])
            elif kind == "rank":
                peers = [table[(key[0], c, *key[2:])] for c in members]
                assert all(p[3] == "A" for p in peers), (key, "ranked against a withheld row")
                assert shown == 1 + sum(p[2] > value for p in peers), (key, text)
            elif kind in ("target", "gap"):
                target = gaps[(key[1], key[2], "individual" if key[4] != "contingent" else key[4])]
                expected = target if kind == "target" else abs(value - target)
                assert abs(shown - expected) <= 0.051, (key, kind, text)
            checked[kind] += 1
    assert all(checked[k] for k in checked if k != "gap"), checked  # a gap needs shown contingents (not at this scale)


def test_the_tables_beside_each_report_hold_its_numbers_and_no_small_cell(reports, history):
    for report in reports:
        with report.csv.open(encoding="utf-8-sig", newline="") as f:
            table = list(csv.reader(f))
        assert tuple(table[0]) == COLUMNS
        sheet = load_workbook(report.xlsx, read_only=True).active
        workbook = [tuple("" if c is None else str(c) for c in row) for row in sheet.iter_rows(values_only=True)]
        assert len(workbook) == len(table) and workbook[0] == COLUMNS
        by, release = {name: i for i, name in enumerate(COLUMNS)}, read(report.html).meta["parity-release"]
        for row in table[1:]:
            assert row[by["release_id"]] == release
            if row[by["obs_status"]] != "A":
                assert row[by["numerator"]] == row[by["denominator"]] == row[by["value"]] == ""
            elif row[by["numerator"]] and row[by["denominator"]]:
                women, total = int(row[by["numerator"]]), int(row[by["denominator"]])
                assert women not in (1, 2) and total - women not in (1, 2), row
        assert {row[by["country_code"]] for row in table[1:]} >= {report.area}


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

        # a correction of Montenegro's 2024Q3 reaches the public side: the reports that show it are the
        # reports of its region's countries and of the region for that quarter and the next ones (their
        # changes and comparisons), not those of earlier quarters
        with duckdb.connect(str(copied_home.public_warehouse)) as con:
            con.execute("UPDATE indicator_values_public SET value = value + 0.5 WHERE country_code = 'MNE' "
                        "AND period = '2024Q3' AND indicator_code = 'WSHARE_OFFICERS' AND breakdown = 'total'")
        again = reports_when_changed(
            dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor.cursor))
        assert sorted(r.partition_key for r in again) == sorted(
            str(report_partition_key(area, period)) for area in areas() for period in ("2024Q3", "2024Q4"))


def test_the_dagster_asset_writes_the_partition_report_and_the_sensor_does_not_write_it_again(copied_home):
    resources = {"parity": ParityResource(home=str(copied_home.home))}
    with dg.instance_for_test() as instance:
        key = str(report_partition_key("MKD", "2024Q3"))
        result = dg.materialize([quarterly_reports], partition_key=key, resources=resources, instance=instance)
        assert result.success
        # a fresh sensor (as after `make demo`, which writes its reports through this asset) asks for the others only
        requested = {r.partition_key for r in reports_when_changed(
            dg.build_sensor_context(instance=instance, resources=resources))}
        assert key not in requested and str(report_partition_key("MNE", "2024Q3")) in requested
    metadata = result.asset_materializations_for_node("reports__quarterly")[0].metadata
    folder = copied_home.home / "reports" / "2024Q3"
    for lang in ("mk", "en"):
        html = folder / f"parity_MKD_2024Q3_{lang}.html"
        assert metadata[f"html_{lang}"].value == str(html) and html.exists() and html.with_suffix(".pdf").exists()
        assert html.with_suffix(".csv").exists() and html.with_suffix(".xlsx").exists()


def test_parity_report_command_in_a_language_and_for_a_quarter_without_figures(copied_home, capsys, monkeypatch,
                                                                               tmp_path):
    assert main(["report", "--period", "2024Q2", "--country", "SRB", "--lang", "en", "--no-pdf"]) == 0
    out = capsys.readouterr().out
    assert "parity_SRB_2024Q2_en.html" in out and "parity_SRB_2024Q2_sr" not in out

    # a quarter nothing has arrived for: the report says what is due and missing, in each language
    assert main(["report", "--period", "2025Q1", "--no-pdf"]) == 0
    assert "2025Q1 has no figures yet" in capsys.readouterr().out
    page = read(copied_home.home / "reports" / "2025Q1" / "parity_MNE_2025Q1_cnr.html")
    text = unescape(" ".join(page.text))
    assert "Crna Gora" in text and "Nedostaje (rok je prošao)" in text and page.numbers == []
    assert main(["report", "--period", "2019Q1"]) == 1
    assert "reports cover the quarters from the first of the configured countries" in capsys.readouterr().err
    assert main(["report", "--lang", "fr"]) == 2 and "unknown language fr" in capsys.readouterr().err

    monkeypatch.setenv("PATH", str(tmp_path))  # no Chromium: a clear message, not a traceback
    monkeypatch.delenv("PARITY_CHROMIUM", raising=False)
    assert main(["report", "--country", "BIH"]) == 1
    assert "run `make browser`" in capsys.readouterr().err
