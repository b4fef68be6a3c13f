"""`make screenshots`: the README's pictures, in docs/images/. The focal points' loop, made as a focal
point meets it: the check-and-send page in Chromium (signing in, a broken and a good delivery, the
status after the load), `parity check` in a terminal, and the e-mail a delivery brings. Then page 1
of Serbia's quarterly report in Serbian and in English, as printed.

The loop happens in a temporary home with a small generated Serbian history (2023Q1 to 2024Q3
loaded on their delivery days, one late) and a set clock (2024Q4 sent on 21 January 2025, nine days
before it is due); the reports in another, with the demo's year of the four countries (parity/demo.py)
at a smaller scale. The pictures are the same on every machine but for the browser's rendering.
"""
import datetime as dt
import email
import email.policy
import html
import secrets
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from parity.clock import Clock
from parity.config import PROJECT_DIR, Settings

IMAGES = PROJECT_DIR / "docs" / "images"
COUNTRY, LANG = "SRB", "sr"
CLOCK = "2025-01-21T10:00:00+01:00"  # 2024Q4 is due on 2025-01-30
FIRST = "2023Q1"  # config/parity.toml's first quarter of SRB
ZONE = "Europe/Belgrade"  # SRB's
PICTURES = ("page-sign-in.png", "page-check-errors.png", "page-check-ready.png", "page-status.png",
            "check-command.png", "delivery-email.png", "report-page1-sr.png", "report-page1-en.png")
REPORT_SCALE = 0.5  # of the demo's year: large enough that most figures are shown, not withheld
A4 = {"width": 794, "height": 1123}  # an A4 page at 96 dpi
WIDTH = 1100


def _broken(folder: Path, source: Path) -> Path:
    """A personnel file with three mistakes a focal point makes: a sex code, a birth year, a date."""
    lines = source.read_text(encoding="utf-8-sig").split("\n")
    first = lines[1].split(";")
    first[1], first[2] = "X", "1890"
    lines[1] = ";".join(first)
    second = lines[2].split(";")
    second[-1] = "31.02.2019."  # no such date
    lines[2] = ";".join(second)
    out = folder / source.name
    out.write_text("\n".join(lines), encoding="utf-8-sig")
    return out


def _terminal(title: str, text: str) -> str:
    """A page that shows `text` as a terminal or a mail reader would."""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>'
            'body{margin:0;background:#1e1e1e}pre{margin:0;padding:1rem 1.2rem;color:#e6e6e6;font:13px/1.45 '
            '"DejaVu Sans Mono",monospace;white-space:pre-wrap}</style></head>'
            f'<body><pre>{html.escape(text)}</pre></body></html>')


def make(out: Path = IMAGES) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from parity import warehouse
    from parity.check import check_files
    from parity.generate import generate
    from parity.ingest import ingest_files
    from parity.quality.report import render_text, verdict_line
    from parity.reports.pdf import CHROMIUM_FLAGS, chromium
    from parity.web.access import AccessStore
    from parity.web.app import serving
    from sources.period import Period

    out.mkdir(parents=True, exist_ok=True)
    clock = Clock.set_at(CLOCK)
    with tempfile.TemporaryDirectory(prefix="parity-screenshots-") as folder:
        root = Path(folder)
        settings = Settings(home=root / "home", pseudonym_key=secrets.token_hex(32), settle_seconds=0, clock=clock,
                            page_url="https://parity.example.org/")
        # the year before, delivered as a year is: each quarter some weeks after it ended, one late
        made = root / "deliveries"
        generate(made, Period.range(f"{FIRST}:2024Q4"), [COUNTRY], scale=0.02, seed=1, progress=False)
        for period in Period.range(f"{FIRST}:2024Q3"):
            delay = 45 if str(period) == "2024Q2" else 24
            delivered = dt.datetime.combine(period.last_day + dt.timedelta(days=delay), dt.time(9, 30), ZoneInfo(ZONE))
            ingest_files(settings, COUNTRY, sorted((made / COUNTRY).glob(f"*_{period}_*")), now=delivered)
        quarter = sorted((made / COUNTRY).glob("*_2024Q4_*"))
        _, token = AccessStore(settings.web_dir).issue(COUNTRY, clock.now())
        broken = _broken(root, made / COUNTRY / f"{COUNTRY}_2024Q4_personnel.csv")
        with serving(settings) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(),
                                                 args=[f for f in CHROMIUM_FLAGS if f != "--headless"])
            page = browser.new_page(viewport={"width": WIDTH, "height": 700})

            def shot(name: str, full: bool = True):
                page.screenshot(path=str(out / name), full_page=full)

            page.goto(f"{url}/?lang={LANG}")
            shot("page-sign-in.png")
            page.fill("#token", token)
            page.click("button[type=submit]")
            page.set_input_files("#files", str(broken))
            page.click("#check")
            shot("page-check-errors.png")
            page.set_input_files("#files", [str(p) for p in quarter])
            page.click("#check")
            shot("page-check-ready.png")
            page.click("#send")
            # the pipeline takes the files from the inbox (the sensor's ingest run does the same)
            ingest_files(settings, COUNTRY, sorted((settings.inbox / COUNTRY).iterdir()), now=clock.now())
            page.goto(f"{url}/status")
            shot("page-status.png")

            # what `parity check` prints (parity.cli.cmd_check), on the page's clock
            [version] = check_files([broken], country=COUNTRY, settings=settings)
            printed = f"{verdict_line([version], LANG)}\n\n{render_text(version, LANG, check=True)}"
            page.set_content(_terminal("parity check", f"$ parity check {broken.name}\n\n{printed}"))
            shot("check-command.png")

            with warehouse.connect(settings.warehouse, read_only=True) as con:
                raw = con.execute("SELECT message FROM meta.alerts WHERE kind = 'delivery' ORDER BY alert_id DESC "
                                  "LIMIT 1").fetchone()[0]
            message = email.message_from_string(raw, policy=email.policy.default)
            # the outbox sets From when it sends (PARITY_SMTP_FROM)
            headers = f"From: {settings.smtp.sender}\nTo: {message['To']}\nSubject: {message['Subject']}\n"
            page.set_content(_terminal("e-mail", headers + "\n" + message.get_body(("plain",)).get_content()))
            shot("delivery-email.png")
            browser.close()
    _report_pages(out)
    return [out / name for name in PICTURES]


def _report_pages(out: Path) -> None:
    """Page 1 of Serbia's report of the demo's last quarter, in Serbian and in English."""
    from playwright.sync_api import sync_playwright

    from parity import demo
    from parity.generate import generate
    from parity.pseudonym import create_key_file
    from parity.reports.build import build_report
    from parity.reports.pdf import CHROMIUM_FLAGS, chromium
    from sources.dialect import DIALECTS
    from sources.period import Period

    with tempfile.TemporaryDirectory(prefix="parity-screenshots-") as folder:
        root = Path(folder)
        # the key in the home's key file, as the demo keeps it: the Dagster runs of the load read it from there
        settings = Settings(home=root / "home", settle_seconds=0, clock=Clock.set_at(demo.CLOCK))
        create_key_file(settings)
        generate(root / "deliveries", Period.range(demo.QUARTERS), sorted(DIALECTS), REPORT_SCALE, seed=1,
                 progress=False)
        report = demo.replay(settings, root / "deliveries", say=lambda _: None)
        if not report.transform_ok:
            raise RuntimeError(f"the demo's year did not build: {report.failures}")
        built = build_report(settings, settings.config(), COUNTRY, demo.QUARTERS[-6:], pdf=False)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(),
                                                 args=[f for f in CHROMIUM_FLAGS if f != "--headless"])
            for report in built:
                page = browser.new_page(viewport=A4)
                page.emulate_media(media="print")
                page.goto(report.html.as_uri())
                page.screenshot(path=str(out / f"report-page1-{report.lang}.png"))
            browser.close()


if __name__ == "__main__":
    for path in make():
        print(f"wrote {path.relative_to(PROJECT_DIR)} ({path.stat().st_size // 1024} KiB)")
