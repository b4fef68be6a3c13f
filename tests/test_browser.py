"""Seen in a browser: the reports and the Dagster UI render in headless Chromium (Debian's, driven by
Playwright) with no console error. Screenshots are kept outside the repository, in $PARITY_ARTIFACTS
(default: parity-artifacts in the system's temporary folder)."""

import pytest

from parity.config import Config
from parity.reports.build import build_reports

from browser_pages import ARTIFACTS, Page, dagster_webserver

# every text of every chart within the chart's own box (a label cut at the edge, as "s (the four countries
# together)" was, fails); measured in the browser, since only it knows the font's widths
CLIPPED_TEXTS = """() => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
    const box = svg.viewBox.baseVal;
    return [...svg.querySelectorAll('text')].map(t => [t.getBBox(), t.textContent]).filter(([b]) =>
        b.x < box.x - 0.5 || b.y < box.y - 0.5 || b.x + b.width > box.x + box.width + 0.5 ||
        b.y + b.height > box.y + box.height + 0.5).map(([b, text]) => `${svg.getAttribute('aria-labelledby')}: ${text}`);
})"""


def test_reports_render_in_every_language_with_no_clipped_label_and_no_console_error(history, browser):
    """Page 1 of each language's report as a reader sees it (A4 at 96 dpi), kept as a picture; the charts
    drawn, no text outside its chart, no console error."""
    built = build_reports(history, Config.load(), "2024Q4", areas=("MNE", "WB4"), pdf=False)
    assert {(r.area, r.lang) for r in built} == {("MNE", "cnr"), ("MNE", "en")} | {
        ("WB4", lang) for lang in ("en", "bs", "cnr", "mk", "sr")}
    for report in built:
        view = Page(browser, width=794, height=1123)
        view.page.emulate_media(media="print")
        view.page.goto(report.html.as_uri())
        assert view.page.locator("html").get_attribute("lang") == {"sr": "sr-Cyrl"}.get(report.lang, report.lang)
        charts = view.page.locator("svg.chart")
        assert charts.count() >= 12
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 250 and box["height"] >= 40
        assert view.page.evaluate(CLIPPED_TEXTS) == [], report.html
        assert view.page.locator(".tile").count() == 6
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        first_page = ARTIFACTS / f"report_{report.area}_{report.period}_{report.lang}_page1.png"
        view.page.screenshot(path=str(first_page))  # the viewport: page 1 as printed
        assert first_page.stat().st_size > 30_000
        assert view.errors == []


@pytest.fixture(scope="module")
def dagster_ui(history):
    """dagster-webserver on 127.0.0.1 over the session's loaded home (its runs and materialisations)."""
    with dagster_webserver(history.home) as url:
        yield url


def test_dagster_ui_shows_the_asset_graph_and_partitions(dagster_ui, browser):
    view = Page(browser, width=1600, height=1000)
    view.page.goto(f"{dagster_ui}/asset-groups")
    for group in ("raw", "marts", "reports"):  # the graph's group boxes once the code location has loaded
        view.page.get_by_text(group, exact=True).first.wait_for(timeout=90_000)
    view.page.wait_for_load_state("networkidle")
    view.screenshot("dagster_asset_graph")

    view.page.goto(f"{dagster_ui}/assets/raw/personnel?view=partitions")
    try:
        # both dimensions listed, and the 4 quarters x 4 countries the session loaded counted as materialised
        view.page.get_by_text("Materialized (16)").wait_for(timeout=60_000)
        for key in ("BIH", "SRB", "2023Q1"):  # from the configured countries' first quarter
            view.page.get_by_text(key, exact=True).first.wait_for()
        view.page.wait_for_load_state("networkidle")
    finally:
        view.screenshot("dagster_raw_personnel_partitions")
    assert view.errors == []
