"""The `parity` command line."""
import argparse
import atexit
import dataclasses
import datetime as dt
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

from parity.clock import Clock
from parity.config import PROJECT_DIR, Settings


def cmd_generate(args) -> int:
    from parity.generate import generate
    from sources.period import Period

    files = generate(Path(args.out), Period.range(args.quarters), args.countries.split(","), args.scale, args.seed,
                     progress=not args.quiet)
    print(f"wrote {len(files)} files under {args.out}")
    return 0


def cmd_load(args) -> int:
    from parity.load import load, print_report

    settings = Settings.from_env()
    if args.inbox:
        settings = dataclasses.replace(settings, inbox_dir=Path(args.inbox).resolve())
    report = load(settings)
    print_report(report)
    return load_status(report)


def load_status(report) -> int:
    """0: everything received was accepted and built; 1: a delivery was rejected or a run failed."""
    return 1 if report.rejected or report.failures or report.transform_ok is False else 0


def cmd_check(args) -> int:
    from parity.check import check_files, language_of
    from parity.quality.report import render_html, render_text, verdict_line

    settings = Settings.from_env()
    if args.home:
        settings = dataclasses.replace(settings, home=Path(args.home).resolve())
    config = settings.config()
    versions = check_files([Path(f) for f in args.files], country=args.country, period=args.period,
                           settings=settings, with_warehouse=bool(args.home), config=config)
    first = args.lang or (language_of(versions[0].country, config) if versions else "en")
    print(verdict_line(versions, first) + "\n")  # the first line: send or not, in their language and English
    for version in versions:
        lang = args.lang or language_of(version.country, config)
        print(render_text(version, lang, check=True))
        if args.html:
            out = Path(args.html) / f"{version.country}_{version.period or 'files'}_check.html"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render_html(version, lang, check=True), encoding="utf-8")
            print(f"\nreport: {out}")
    errors = any(p.severity == "error" for v in versions for p in v.problems)
    return 1 if errors else 0


def cmd_init_key(args) -> int:
    from parity.pseudonym import create_key_file

    settings = Settings.from_env()
    print(f"wrote {settings.key_file}" if create_key_file(settings) else "a pseudonymisation key is configured already")
    return 0


def cmd_rotate_key(args) -> int:
    from parity.load import transform
    from parity.rotation import rotate

    settings = Settings.from_env()
    rotation = rotate(settings, Path(args.new_key_file).resolve() if args.new_key_file else None)
    rows = ", ".join(f"{table} {count:,}" for table, count in rotation.rows.items())
    print(f"re-keyed {rotation.persons:,} persons from {rotation.files} archived files (rows: {rows}); key "
          f"fingerprint {rotation.old_fingerprint[:8]}… -> {rotation.new_fingerprint[:8]}…")
    if settings.pseudonym_key:
        print("Now replace PARITY_PSEUDONYM_KEY in the secret store with the new key, and destroy the new key's file: "
              "the warehouse refuses the old key from now on.")
    else:
        print(f"{settings.key_file} holds the new key; the warehouse refuses the old one from now on.")
    built = transform(settings)
    outcome = "done" if built.ok else "FAILED: the next `parity load` builds again"
    print(f"dbt build of every model from the new keys, then public.duckdb: {outcome}; its log: {built.log}")
    for line in built.failures:
        print(f"FAILED {line}")
    return 0 if built.ok else 1


def cmd_backup(args) -> int:
    from parity.backup import backup, verify

    folder = Path(args.dest)
    if args.verify:
        manifest = verify(folder)
        print(f"{folder}: all {len(manifest.files)} files match the manifest (backup of {manifest.created_at})")
        return 0
    manifest = backup(Settings.from_env(), folder)
    size = sum(f["size"] for f in manifest.files.values())
    print(f"backed up {len(manifest.files)} files ({size / 2**20:,.1f} MiB) into {folder}, with {folder}/manifest.json; "
          f"the pseudonymisation key is not in it (fingerprint {(manifest.key_fingerprint or '-')[:8]}…): keep it apart")
    return 0


def cmd_restore(args) -> int:
    from parity.backup import CONFIG_NAME, restore

    settings = Settings.from_env()
    manifest = restore(settings, Path(args.source))
    print(f"restored {len(manifest.files)} files of the backup of {manifest.created_at} into {settings.home}")
    if CONFIG_NAME in manifest.files:
        print(f"its configuration is {settings.home / CONFIG_NAME}: set PARITY_CONFIG to it (or copy it where "
              f"PARITY_CONFIG points)")
    print(f"configure the pseudonymisation key with fingerprint {(manifest.key_fingerprint or '-')[:8]}… "
          f"(PARITY_PSEUDONYM_KEY or the key file); `parity load` then carries on")
    return 0


def cmd_purge(args) -> int:
    from parity.retention import purge

    result = purge(Settings.from_env(), dry_run=args.dry_run)
    verb = "would purge" if args.dry_run else "purged"
    for e in result.purged:
        print(f"{verb} {e.archive_path} ({e.why}; expired {e.at:%Y-%m-%d})")
    for folder, count in result.backups.items():
        print(f"removed {count} purged file(s) from the backup {folder}")
    following = f"; the next expires {result.next_at:%Y-%m-%d}" if result.next_at else ""
    print(f"{verb} {len(result.purged)} archived file(s), kept {result.kept}{following}")
    return 0


def cmd_demo(args) -> int:
    from parity import demo
    from parity.generate import generate
    from parity.load import load, print_report
    from parity.pseudonym import create_key_file
    from sources.dialect import DIALECTS
    from sources.period import Period

    settings = dataclasses.replace(Settings.from_env(), clock=Clock.set_at(demo.CLOCK))
    print(f"the demo's clock is set to {demo.CLOCK[:10]}: everything it stamps records it")
    if create_key_file(settings):
        print(f"created a local pseudonymisation key: {settings.key_file} (set PARITY_PSEUDONYM_KEY in production)")
    if not any(settings.inbox.glob("*/*")):
        made = settings.home / "demo-deliveries"
        print(f"generating {demo.QUARTERS} for {', '.join(sorted(DIALECTS))} at scale 1.0 into {made}")
        generate(made, Period.range(demo.QUARTERS), sorted(DIALECTS), 1.0, seed=1)
        # delivered as a year is: each quarter on its day, one late, one corrected (parity/demo.py)
        report = demo.replay(settings, made)
        for folder in [*made.iterdir(), made]:  # emptied by now; rmdir refuses anything left
            folder.rmdir()
    else:
        report = load(settings)
    print_report(report)
    _print_how_to_query(settings)
    if report.transform_ok is not False:
        _write_last_reports(settings)
    return load_status(report)


def _write_last_reports(settings: Settings) -> None:
    """The demo's last quarter as the MoDs and SEESAC read it: a report per country and the region."""
    from parity.reports.build import build_reports, report_dir
    from parity.reports.data import quarters_with_data
    from parity.reports.pdf import ChromiumMissing, chromium

    quarter = quarters_with_data(settings)[-1]
    try:
        chromium(settings.chromium)
        pdf = True
    except ChromiumMissing as e:
        print(f"\n{e}\nWriting the reports as HTML only.")
        pdf = False
    # through Dagster when it can print them (the `reports` job, one run per area: the UI then shows which
    # reports exist, and the reports sensor does not make them again); HTML alone is no asset's output
    if pdf:
        written = materialize_reports(settings, quarter)
    else:
        written = [(r.area, r.html, None) for r in build_reports(settings, settings.config(), quarter, pdf=False)]
    kinds = "HTML and PDF" if pdf else "HTML"
    areas = sorted({area for area, _, _ in written})
    print(f"\nReports of {quarter} ({kinds}, with their tables as CSV and XLSX; {len(areas)} areas: {', '.join(areas)}; "
          f"each country in its language and English, the region in all five):\n"
          f"  {report_dir(settings, quarter)}/\n  e.g. {written[-1][1]}"
          + (f"\n       {written[-1][2]}" if pdf else "")
          + "\nAnother quarter, area or language: .venv/bin/parity report --period 2024Q3 [--country MNE] [--lang en]")


def materialize_reports(settings: Settings, quarter: str) -> list[tuple[str, Path, Path]]:
    """The reports of every area for `quarter`, each area's written by a run of the `reports` job in
    this process: (area, HTML, PDF) of each report file."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.defs.reports.assets import report_partition_key
    from orchestration.instance import prepare_dagster_home
    from orchestration.resources import parity_run_config
    from parity.load import QUIET_LOG
    from parity.regions import areas

    instance = DagsterInstance.from_config(str(prepare_dagster_home(settings)))
    job, written = defs.resolve_job_def("reports"), []
    for area in areas():
        result = job.execute_in_process(partition_key=report_partition_key(area, quarter), instance=instance,
                                        run_config={**QUIET_LOG, **parity_run_config(settings)},
                                        tags={"parity/trigger": "demo"})
        [event] = result.get_asset_materialization_events()
        metadata = event.materialization.metadata
        written += [(area, Path(metadata[key].value), Path(metadata[f"pdf_{key[5:]}"].value))
                    for key in sorted(metadata) if key.startswith("html_")]
    return written


def _print_how_to_query(settings: Settings) -> None:
    from parity import warehouse

    with warehouse.connect(settings.warehouse, read_only=True) as con:
        accepted = con.execute("""SELECT count(*) FROM meta.current_tables WHERE table_name = 'personnel'""").fetchone()[0]
        tables = con.execute("""SELECT count(*), sum(row_count) FROM meta.current_tables""").fetchone()
    public = settings.public_warehouse
    published = ""
    if public.exists():
        with warehouse.connect(public, read_only=True) as con:
            rows, confidential, withheld, release = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE obs_status = 'C'), count(*) FILTER (WHERE obs_status = 'D'), "
                "(SELECT max(release_id) FROM releases) FROM indicator_values_public").fetchone()
        published = (f"\n  {rows:,} indicator rows in {public}, release {release} ({confidential:,} confidential, "
                     f"{withheld:,} withheld to protect them)")
    print(f"""
Restricted warehouse: {settings.warehouse}
  {accepted} submissions with personnel accepted; {tables[0]} tables, {tables[1]:,} rows in raw.*{published}
Query the indicators as analysts do (read-only; see README, "For analysts"):
  .venv/bin/python -c "import duckdb; c = duckdb.connect('{public}', read_only=True); \\
c.sql(\\"select country_code, period, value from indicator_values_public where indicator_code = 'WSHARE_UNIFORMED' \\
and breakdown = 'total' order by all\\").show(max_rows=50)"
Registry: meta.submission_tables (every table received, its status and version), meta.current_tables.
Dagster UI and the focal points' page: make dev    dbt docs: make docs""")


def cmd_report(args) -> int:
    from parity.disclosure import DisclosureError
    from parity.messages import LANGUAGES
    from parity.regions import areas
    from parity.reports.build import build_reports
    from parity.reports.data import quarters_with_data, report_quarters
    from parity.reports.pdf import ChromiumMissing
    from sources.period import Period

    settings = Settings.from_env()
    config = settings.config()
    quarters, with_data = report_quarters(config, settings.clock.now()), quarters_with_data(settings)
    try:
        period = str(Period.parse(args.period)) if args.period else (with_data or quarters or [None])[-1]
    except ValueError:
        print(f"parity report: {args.period!r} is not a quarter (e.g. 2024Q4)", file=sys.stderr)
        return 2
    if period not in quarters and period not in with_data:
        span = f"{quarters[0]} to {quarters[-1]}" if quarters else "none: no country is configured"
        print(f"parity report: no report for {period}: reports cover the quarters from the first of the configured "
              f"countries to the current one ({span})", file=sys.stderr)
        return 1
    if args.country and args.country not in areas():
        print(f"parity report: unknown area {args.country} (one of {', '.join(areas())})", file=sys.stderr)
        return 2
    if args.lang and args.lang not in LANGUAGES:
        print(f"parity report: unknown language {args.lang} (one of {', '.join(LANGUAGES)})", file=sys.stderr)
        return 2
    chosen = (args.country,) if args.country else areas()
    try:
        built = build_reports(settings, config, period, chosen, pdf=not args.no_pdf,
                              languages=(args.lang,) if args.lang else None)
    except (ChromiumMissing, DisclosureError) as e:
        print(f"parity report: {e}", file=sys.stderr)
        return 1
    for report in built:
        files = [report.html, report.pdf, report.csv, report.xlsx]
        print(f"{report.area} {report.period} {report.lang}: " + f"\n{'':16}".join(str(f) for f in files if f))
    if period not in with_data:
        print(f"{period} has no figures yet: the reports say what is due, received and missing")
    return 0


def cmd_publish(args) -> int:
    from parity.disclosure import DisclosureError
    from parity.publish import publish

    settings = Settings.from_env()
    url = args.url or settings.publish_url
    if not url:
        print("parity publish: give --url postgresql://user@host/db (or set PARITY_PUBLISH_URL)", file=sys.stderr)
        return 2
    try:
        result = publish(settings, url, schema=args.schema, analyst_role=args.analyst_role)
    except (DisclosureError, FileNotFoundError) as e:
        print(f"parity publish: {e}", file=sys.stderr)
        return 1
    print(f"published release {result.release} into schema {result.schema} (read-only role {args.analyst_role}):")
    for name, rows in result.rows.items():
        print(f"  {result.schema}.{name}: {rows:,} rows")
    return 0


def cmd_portability(args) -> int:
    from parity import portability

    settings = Settings.from_env()
    copied = portability.copy_inputs(settings.warehouse, args.url)
    print(f"copied {sum(copied.values()):,} rows of {len(copied)} tables (raw, meta) into PostgreSQL")
    portability.build(args.url, settings.home / "dbt-postgres", settings)
    rows, differences = portability.compare_indicator_values(settings.warehouse, args.url, args.tolerance)
    for difference in differences[:50]:
        print(f"  {difference}")
    print(f"indicator_values: {rows:,} rows on DuckDB, {len(differences)} differences on PostgreSQL")
    return 1 if differences else 0


def cmd_dev(args) -> int:
    """The Dagster UI and the focal points' page, side by side, until either stops or Ctrl-C."""
    import subprocess
    import time

    from orchestration.instance import prepare_dagster_home

    dagster_home = prepare_dagster_home(Settings.from_env())
    tools = Path(sys.executable).parent
    dagster = shutil.which("dagster", path=str(tools)) or "dagster"
    parity = shutil.which("parity", path=str(tools)) or "parity"
    # A process started in the background inherits SIGINT ignored, and so would its children: dagster dev
    # then ignores Ctrl-C and SIGTERM. Python's own handler here gives them the default disposition.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    environment = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    children = [
        subprocess.Popen([parity, "serve", "--plain-http", "--port", str(args.page_port)], env=environment),
        subprocess.Popen([dagster, "dev", "-w", str(PROJECT_DIR / "workspace.yaml"), "--port", str(args.port)],
                         cwd=PROJECT_DIR, env=environment),
    ]
    print(f"Dagster UI: http://127.0.0.1:{args.port}/  focal points' page: http://127.0.0.1:{args.page_port}/ "
          "(a token: parity token issue CC)", flush=True)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:  # Ctrl-C: how a developer stops it
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)  # both stop cleanly on SIGINT, as on Ctrl-C
        for child in children:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
    return next((child.returncode for child in children if child.returncode), 0)


def cmd_serve(args) -> int:
    import uvicorn

    from parity.web.app import create_app

    os.environ.pop("PARITY_PSEUDONYM_KEY", None)  # the internet-facing process never holds the key
    settings = Settings.from_env()
    app = create_app(settings, secure_cookies=not args.plain_http)
    print(f"the focal points' page: http://{args.host}:{args.port}/ (tokens: parity token issue CC)", flush=True)
    # the client's address (for the failed sign-in limit) from X-Forwarded-For only when the reverse proxy
    # named by --proxy sent it; from anyone else that header is ignored
    uvicorn.run(app, host=args.host, port=args.port, proxy_headers=bool(args.proxy),
                forwarded_allow_ips=args.proxy or "", server_header=False, log_level="warning")
    return 0


def cmd_token(args) -> int:
    from parity.web.access import AccessStore

    settings = Settings.from_env()
    store, now = AccessStore(settings.web_dir), dt.datetime.now(dt.UTC)
    if args.action == "issue":
        if args.country not in (countries := settings.config().focal_points):
            print(f"parity token: {args.country} is not a configured country ({', '.join(countries)})", file=sys.stderr)
            return EXIT_REFUSED
        token_id, token = store.issue(args.country, now, args.note)
        print(f"token {token_id} for {args.country} (shown this once; give it to the focal point by another way than "
              f"the e-mail that names the page):\n{token}")
    elif args.action == "revoke":
        if args.token_id is None and args.country is None:
            print("parity token revoke: name a token (its number) or --country", file=sys.stderr)
            return EXIT_REFUSED
        revoked = store.revoke(now, args.token_id, args.country)
        print(f"revoked: {', '.join(map(str, revoked))}; their sessions ended" if revoked else "nothing to revoke")
        return 0 if revoked else 1
    else:
        for t in store.tokens():
            print(f"{t.token_id:>4}  {t.country}  issued {t.issued_at[:16]}  last used {(t.last_used_at or '-')[:16]}"
                  f"  {'revoked ' + t.revoked_at[:16] if t.revoked_at else 'valid'}  {t.note}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parity", description="Regional data warehouse for gender equality in defence.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write synthetic quarterly deliveries of the MoDs")
    p.add_argument("--out", required=True, help="folder; files go to OUT/<CC>/")
    p.add_argument("--quarters", required=True, help="e.g. 2023Q1:2024Q4")
    p.add_argument("--countries", default="BIH,MKD,MNE,SRB")
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = the published headcounts")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("load", help="load every new submission now (the ingest job, in process), then dbt build")
    p.add_argument("--inbox", help="inbox folder with <CC>/ subfolders (default $PARITY_HOME/inbox)")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("demo", help="generate 2023Q1..2024Q4 for the four MoDs, load, build, show how to query")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("check", help="check delivery files before sending them; exit status 1 if they would be rejected")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--country", help="the country whose inbox the files are for (default: from the file names)")
    p.add_argument("--period", help="the quarter the files must be of, e.g. 2024Q3")
    p.add_argument("--lang", choices=["bs", "cnr", "mk", "sr", "en"], help="report language (default: the country's)")
    p.add_argument("--home", help="a parity home whose warehouse to compare with (cross-quarter checks)")
    p.add_argument("--html", metavar="DIR", help="also write the HTML report into DIR")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("report", help="write the quarterly reports (HTML, PDF and their tables as CSV and XLSX) per "
                                      "country and for the region, in their languages")
    p.add_argument("--period", help="the quarter, e.g. 2024Q4 (default: the latest with data); a quarter without "
                                    "figures gets the report of what is due, received and missing")
    p.add_argument("--country", metavar="AREA", help="only this country or region (WB4: the four countries; "
                                                     "dbt_project/seeds/region_members.csv)")
    p.add_argument("--lang", help="only this language: en, bs, cnr, mk or sr (default: a country's language and "
                                  "English; the region's in all five)")
    p.add_argument("--no-pdf", action="store_true", help="HTML only (no Chromium needed)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("publish", help="copy the latest release of the public side (marts, dimensions, releases, "
                                       "history, revisions) into a PostgreSQL schema for BI tools (idempotent, "
                                       "with a read-only analyst role)")
    p.add_argument("--url",
                   help="postgresql://user[:password]@host[:port]/database (default $PARITY_PUBLISH_URL)")
    p.add_argument("--schema", default="parity", help="the schema to publish into (default parity)")
    p.add_argument("--analyst-role", default="parity_analyst", help="the read-only role (default parity_analyst)")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("portability", help="build the dbt project on PostgreSQL from the warehouse's raw tables and "
                                           "compare indicator_values with DuckDB's; exit status 1 on any difference")
    p.add_argument("--url", required=True, help="an empty PostgreSQL database: postgresql://user@host/database")
    p.add_argument("--tolerance", type=float, default=1e-9, help="relative and absolute tolerance of values")
    p.set_defaults(func=cmd_portability)

    p = sub.add_parser("init-key", help="create a local pseudonymisation key file unless a key is configured")
    p.set_defaults(func=cmd_init_key)

    p = sub.add_parser("rotate-key", help="replace the pseudonymisation key: every stored person key re-derived "
                                          "from the archived files, then every model rebuilt")
    p.add_argument("--new-key-file", metavar="FILE", help="the new key (needed when the key comes from "
                   "PARITY_PSEUDONYM_KEY; else a random key replaces the key file)")
    p.set_defaults(func=cmd_rotate_key)

    p = sub.add_parser("backup", help="a consistent copy of the home (warehouse, archive, reports, Dagster's "
                                      "instance, configuration; not the key) with a checksum manifest")
    p.add_argument("dest", metavar="DEST", help="a new folder (on another disk)")
    p.add_argument("--verify", action="store_true", help="check the backup DEST against its manifest instead")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup into an empty $PARITY_HOME (checked against its manifest first)")
    p.add_argument("source", metavar="SRC")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("purge", help="delete the archived files (and their copies in the backups) whose retention "
                                     "has ended (config/parity.toml: keep_replaced_days, keep_closed_days)")
    p.add_argument("--dry-run", action="store_true", help="only list what would go")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("serve", help="the focal points' check-and-send page (behind an HTTPS reverse proxy)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--proxy", metavar="IP", help="the reverse proxy's address, whose X-Forwarded-For is trusted")
    p.add_argument("--plain-http", action="store_true",
                   help="cookies without the Secure flag: only for a browser on this machine (make dev)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("token", help="access tokens of the focal points' page: issue, revoke, list")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("issue", help="a new token for a country's focal point (printed once)")
    a.add_argument("country", metavar="CC")
    a.add_argument("--note", default="", help="whom it was given to, for the list")
    a = actions.add_parser("revoke", help="revoke a token (its number) or every token of --country")
    a.add_argument("token_id", nargs="?", type=int)
    a.add_argument("--country", metavar="CC")
    actions.add_parser("list", help="every token: country, issued, last used, revoked")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("dev", help="the Dagster UI on this project, and the focal points' page beside it")
    p.add_argument("--port", type=int, default=3000, help="the Dagster UI's")
    p.add_argument("--page-port", type=int, default=8080, help="the focal points' page's")
    p.set_defaults(func=cmd_dev)

    args = parser.parse_args(argv)
    return run(args)


# Expected conditions: the message says what is wrong and what to do; a stack trace would add nothing.
# EXIT_REFUSED: a setting or the key is not usable, nothing was done.
EXIT_REFUSED, EXIT_BUSY, EXIT_INTERRUPTED = 2, 75, 130


def run(args) -> int:
    from parity.backup import BackupError
    from parity.config import SettingsError
    from parity.lock import WarehouseBusy
    from parity.private import owner_only
    from parity.pseudonym import KeyMismatch, MissingKey, RotationRefused

    owner_only()  # the warehouse, archive, quality reports, logs: the service owner's only
    # SIGTERM stops a command as Ctrl-C does: the open transaction is rolled back, the lock released
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return args.func(args)
    except (MissingKey, KeyMismatch, SettingsError, RotationRefused, BackupError) as e:
        print(f"parity {args.command}: {e}", file=sys.stderr)
        return EXIT_REFUSED
    except WarehouseBusy as e:
        print(f"parity {args.command}: {e}", file=sys.stderr)
        return EXIT_BUSY
    except KeyboardInterrupt:
        print(f"parity {args.command}: interrupted; nothing of the unfinished step was kept, run it again",
              file=sys.stderr)
        return EXIT_INTERRUPTED


def console() -> None:
    """The `parity` command: main(), then the process ends without tearing the interpreter down.

    Freeing the modules of Dagster, dbt, Great Expectations and pandas one by one takes about a second
    after every command (measured after a load: 0.9 s), and nothing of parity's is left in them: every
    connection, lock and file is closed by then. The exit handlers still run (logging, temporary
    folders, the reader's fork server), standard output and error are flushed, and the exit status is
    main()'s. While a thread other than the main one is still running, the interpreter's own exit waits
    for it as usual. An exception, or argparse's exit, takes the usual way too."""
    code = main()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()  # what the interpreter runs at exit (CPython 3.11, the version parity pins)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader of the output went away: the interpreter's own exit says 120
        code = 120
    os._exit(code)


if __name__ == "__main__":
    console()
