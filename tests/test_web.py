"""The focal points' check-and-send page (`parity serve`) in a real browser (Chromium, driven by
Playwright) against the real application served by uvicorn on 127.0.0.1: signing in, checking a good
and a broken delivery in each country's language, sending, the status; and hostile requests."""
import dataclasses
import datetime as dt
import os
from pathlib import Path

import dagster as dg
import openpyxl
import pytest

from orchestration.defs.ingest.sensors import inbox_sensor
from orchestration.partitions import country_and_period
from orchestration.resources import ParityResource
from parity.check import language_of
from parity.config import Config
from parity.messages import label, web_text
from parity.web import uploads
from parity.web.access import FAILED_SIGN_INS, AccessStore
from parity.web.app import serving
from sources import DIALECTS, ReadError
from sources.reader import exact_delivery_name

from conftest import COUNTRIES, NOW, SAMPLES, point_at, sample_files

HOSTILE_CELL = "<script>window.pwned=1</script><b>bold</b>"
GOOD = {country: sample_files(country, "2024Q4") for country in COUNTRIES}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A home with a token per country, and its page."""
    with pytest.MonkeyPatch.context() as env:
        settings = point_at(env, tmp_path_factory.mktemp("web") / "home")
        settings = dataclasses.replace(settings, upload_bytes=1 << 20)  # 1 MiB: the oversized test stays small
        store = AccessStore(settings.web_dir)
        tokens = {country: store.issue(country, NOW)[1] for country in COUNTRIES}
        with serving(settings) as url:
            yield settings, url, tokens


def _signed_in(browser, url: str, token: str):
    page = browser.new_context().new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/check")
    page.errors = errors
    return page


def _broken(country: str, folder: Path) -> Path:
    """The country's personnel of 2024Q4 with HTML for a sex code in its first row."""
    folder.mkdir(parents=True, exist_ok=True)
    if country == "BIH":
        book = openpyxl.load_workbook(SAMPLES / "BIH" / "BIH_2024Q4.xlsx")
        book["Osoblje"].cell(row=2, column=2).value = HOSTILE_CELL
        book.save(out := folder / "BIH_2024Q4.xlsx")
        return out
    dialect = DIALECTS[country]
    source = SAMPLES / country / f"{country}_2024Q4_personnel.csv"
    raw = source.read_bytes()
    lines = raw.decode(dialect.encoding).split("\n")
    fields = lines[1].split(dialect.delimiter)
    fields[1] = HOSTILE_CELL
    lines[1] = dialect.delimiter.join(fields)
    (out := folder / source.name).write_bytes("\n".join(lines).encode(dialect.encoding))
    return out


@pytest.mark.parametrize("country", COUNTRIES)
def test_a_focal_point_checks_a_broken_and_a_good_delivery_in_their_language_and_sends_it(
        site, browser, country, tmp_path):
    settings, url, tokens = site
    lang = language_of(country, Config.load())
    page = _signed_in(browser, url, tokens[country])
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").inner_text() == web_text(lang, "upload_heading")

    # broken: every problem at once, in their language and English; nothing to send, nothing kept
    page.set_input_files("#files", str(_broken(country, tmp_path)))
    page.click("#check")
    verdict = page.locator(".verdict").inner_text()
    assert verdict.startswith(label(lang, "verdict_do_not_send", errors="")[:12]) and "Do not send yet" in verdict
    assert page.locator("#send").count() == 0
    sections = page.locator("section")
    assert [sections.nth(i).get_attribute("lang") for i in range(sections.count())] == [lang, "en"]
    assert label(lang, "expected") in sections.nth(0).inner_text()
    # the cell's HTML is shown as text: no element of it, no script run
    assert HOSTILE_CELL in sections.nth(0).inner_text()
    assert page.locator("main b").count() == 0 and page.evaluate("window.pwned") is None
    assert list((settings.web_dir / uploads.UPLOADS).iterdir()) == []

    # good: ready, sent into the inbox as it was, and the status says it is waiting to be loaded
    page.set_input_files("#files", [str(p) for p in GOOD[country]])
    page.click("#check")
    assert page.locator(".verdict").inner_text().split(" / ")[0].startswith(label(lang, "verdict_ready")[:10])
    page.click("#send")
    page.wait_for_url(f"{url}/send")
    assert page.locator("h1").inner_text() == web_text(lang, "nav_status")
    for path in GOOD[country]:
        assert (settings.inbox / country / path.name).read_bytes() == path.read_bytes()
        assert path.name in page.locator(".notice.done").inner_text()
    row = page.locator("tr[data-period='2024Q4']").inner_text()
    assert web_text(lang, "sent_waiting", file=GOOD[country][0].name, sent_at="")[:-2].split(" ")[-1] in row
    assert list((settings.web_dir / uploads.UPLOADS).iterdir()) == []  # sent: the upload is gone
    assert not settings.warehouse.exists()  # the page never opens the warehouse (nor waits for its lock)

    # the same pages in English, from the language links
    page.click("header a[lang=en]")
    assert page.url == f"{url}/status?lang=en" and page.locator("h1").inner_text() == web_text("en", "nav_status")
    page.goto(f"{url}/check")  # the choice is remembered
    assert page.locator("h1").inner_text() == web_text("en", "upload_heading")
    assert page.errors == []
    page.context.close()


def test_a_file_sent_through_the_page_is_loaded_by_the_sensor_and_its_report_shown(site, browser):
    settings, url, tokens = site
    page = _signed_in(browser, url, tokens["MNE"])
    page.set_input_files("#files", [str(p) for p in GOOD["MNE"]])
    page.click("#check")
    page.click("#send")
    with pytest.MonkeyPatch.context() as env:
        point_at(env, settings.home)
        requests = inbox_sensor(dg.build_sensor_context(resources={"parity": ParityResource()})).run_requests
        assert ("MNE", "2024Q4") in {country_and_period(r.partition_key) for r in requests}
        from orchestration.definitions import defs
        from parity.load import QUIET_LOG

        [request] = [r for r in requests if country_and_period(r.partition_key) == ("MNE", "2024Q4")]
        result = defs.resolve_job_def("ingest").execute_in_process(
            partition_key=request.partition_key, tags=request.tags, run_config=QUIET_LOG,
            instance=dg.DagsterInstance.ephemeral())
        assert result.success
    page.goto(f"{url}/status")
    row = page.locator("tr[data-period='2024Q4']")
    assert web_text("cnr", "state_late") in row.inner_text()  # 2024Q4 was due on 2025-01-30
    waiting = web_text("cnr", "sent_waiting", file="", sent_at="").rsplit(":", 1)[-1].strip()
    assert waiting and waiting not in row.inner_text()  # loaded: no longer waiting
    page.click("tr[data-period='2024Q4'] a")
    assert page.locator("section[lang=cnr] h1").inner_text() == label("cnr", "title", country="MNE", period="2024Q4")
    report = page.url
    page.context.close()
    # another country's focal point: no such report
    other = _signed_in(browser, url, tokens["SRB"])
    assert other.goto(report).status == 404 and web_text("sr", "not_found") in other.inner_text("main")
    other.context.close()


def test_hostile_requests_change_nothing(site, browser, tmp_path):
    settings, url, tokens = site
    page = _signed_in(browser, url, tokens["SRB"])
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    inbox_before = sorted(p.name for p in settings.inbox.rglob("*"))
    api = page.context.request
    bih = (SAMPLES / "BIH" / "BIH_2024Q4.xlsx").read_bytes()

    def upload(name: str, data: bytes, **fields):
        return api.post(f"{url}/check", multipart={
            **fields, "files": {"name": name, "mimeType": "application/octet-stream", "buffer": data}})

    # another country's delivery with this country's token: refused by the check, nothing to send
    answer = upload("BIH_2024Q4.xlsx", bih, csrf=csrf)
    assert answer.status == 200 and 'id="send"' not in answer.text()
    # a name that climbs out of its folder: a misnamed file, written nowhere
    answer = upload("../../inbox/SRB/SRB_2024Q4_personnel.csv", b"x;y\n", csrf=csrf)
    assert 'id="send"' not in answer.text() and "../../inbox/SRB/SRB_2024Q4_personnel.csv" in answer.text()
    # larger than the limit (1 MiB here): refused in the reader's language before anything is kept
    answer = upload("SRB_2024Q4_personnel.csv", b"0" * (2 << 20), csrf=csrf)
    assert answer.status == 413 and web_text("sr", "too_large", limit_mb=1, email="")[:30] in answer.text()
    # no CSRF token: nothing checked, nothing sent
    answer = upload("SRB_2024Q4_personnel.csv", (SAMPLES / "SRB" / "SRB_2024Q4_personnel.csv").read_bytes())
    assert answer.status == 403
    assert api.post(f"{url}/send", form={"fingerprint": "x"}).status == 403
    assert sorted(p.name for p in settings.inbox.rglob("*")) == inbox_before
    assert list((settings.web_dir / uploads.UPLOADS).iterdir()) == []
    assert page.errors == []
    page.context.close()


def test_failed_sign_ins_are_limited_per_address_and_a_revoked_token_signs_out(home, browser):
    store = AccessStore(home.web_dir)
    _, token = store.issue("MKD", NOW)
    with serving(home) as url:
        signed_in = _signed_in(browser, url, store.issue("MKD", NOW)[1])
        page = browser.new_context().new_page()
        for _ in range(FAILED_SIGN_INS):
            page.goto(url)
            page.fill("#token", "parity-guessed")
            page.click("button[type=submit]")
            assert web_text("en", "sign_in_failed", email="")[:20] in page.inner_text("main")
        page.goto(url)
        page.fill("#token", token)  # the right token, too late
        with page.expect_response(f"{url}/sign-in") as answer:
            page.click("button[type=submit]")
        assert answer.value.status == 429 and web_text("en", "too_many", minutes=15) in page.inner_text("main")
        # revoking a token ends its sessions at once
        store.revoke(NOW, country="MKD")
        signed_in.goto(f"{url}/status")
        assert signed_in.url == f"{url}/"
        page.context.close()
        signed_in.context.close()


def test_unsent_uploads_are_deleted(home, browser):
    store = AccessStore(home.web_dir)
    with serving(home) as url:
        page = _signed_in(browser, url, store.issue("MKD", NOW)[1])
        page.set_input_files("#files", [str(p) for p in GOOD["MKD"]])
        page.click("#check")
        assert page.locator("#send").count() == 1
        assert len(list((home.web_dir / uploads.UPLOADS).iterdir())) == 1  # kept while it may be sent
        page.click("button.link")  # signing out
        assert list((home.web_dir / uploads.UPLOADS).iterdir()) == []
        page.context.close()


def test_tokens_are_stored_hashed(home):
    store = AccessStore(home.web_dir)
    token_id, token = store.issue("BIH", NOW, note="Focal point, MoD BiH")
    stored = (home.web_dir / "access.sqlite3").read_bytes()
    assert token.encode() not in stored and token[7:].encode() not in stored
    assert oct((home.web_dir / "access.sqlite3").stat().st_mode & 0o777) == "0o600"
    assert [t.country for t in store.tokens()] == ["BIH"] and store.revoke(NOW, token_id) == [token_id]
    assert store.sign_in(token, "127.0.0.1", NOW) is None




def test_parity_token_issues_lists_and_revokes(home, capsys):
    from parity.cli import main

    assert main(["token", "issue", "SRB", "--note", "Focal point, MoD Serbia"]) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert token.startswith("parity-") and AccessStore(home.web_dir).sign_in(token, "127.0.0.1", NOW) is not None
    assert main(["token", "issue", "XYZ"]) == 2
    assert main(["token", "list"]) == 0
    listed = capsys.readouterr().out
    assert "SRB" in listed and "valid" in listed and token not in listed
    assert main(["token", "revoke", "--country", "SRB"]) == 0
    assert AccessStore(home.web_dir).sign_in(token, "127.0.0.1", NOW) is None


def test_a_sweep_deletes_uploads_no_session_holds_and_old_ones(tmp_path):
    now = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    ages = {"held": 5, "held-too-long": 61, "arriving": 2, "left": 11}  # minutes
    for name, minutes in ages.items():
        folder = uploads.new_upload(tmp_path)
        folder.rename(folder.with_name(name))
        stamp = (now - dt.timedelta(minutes=minutes)).timestamp()
        os.utime(folder.with_name(name), (stamp, stamp))
    uploads.sweep(tmp_path, {"held", "held-too-long"}, now)
    assert sorted(p.name for p in (tmp_path / uploads.UPLOADS).iterdir()) == ["arriving", "held"]


@pytest.mark.parametrize("name", ["../../SRB_2024Q4_personnel.csv", "/tmp/SRB_2024Q4_personnel.csv",
                                  "SRB_2024Q4_PERSONNEL.csv", "srb_2024Q4_personnel.csv", "SRB_2024Q4_personnel.csv "])
def test_an_uploads_name_must_be_exactly_a_dialects(name):
    with pytest.raises(ReadError) as refused:
        exact_delivery_name(name, "SRB")
    assert [p.rule for p in refused.value.problems] == ["file_name"]
    assert exact_delivery_name("SRB_2024Q4_personnel.csv", "SRB").table == "personnel"
