"""Load benchmark: `parity load` as an engineer runs it, against the floor of the same work, in one run.

    .venv/bin/python bench/load.py [--history 8,40] [--scale 1] [--scale10] [--keep DIR]

What is timed is the command line, `parity load`, on a fresh $PARITY_HOME with PARITY_SETTLE_SECONDS=0,
everything included: reading, checks, pseudonymisation, archive, registry, `dbt build` with its tests,
public.duckdb. For each history length H (quarters ending 2024Q4, four countries):
- full:        the H quarters land in the inboxes at once; one `parity load` from scratch;
- new quarter: 2025Q1 of the four countries lands; `parity load` again, on that home and on a copy
               of it made before (off the clock): the faster of the two counts, both are printed.
The floor, in the same run: a plain DuckDB + calamine read of the same personnel files, with one
indicator computed (the share of women per country and quarter); no checks, no registry, no dbt.
The figures are ratios to it (machines are noisy). Targets (issue 13, docs/decisions.md "Speed"):
full load of 4 x 8 within 10x the floor; a new quarter within 20 s, and within 1.2x between 8 and
40 quarters of history. --scale10: 40 quarters at scale 10 from scratch (target: 15 minutes, 4 GiB),
with the peak memory of the load and of its largest child (dbt).
After each history: the secondary suppression's share of the rows and the time of its step (the
decision and its audit over every release) in each load, from the warehouse's records.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NEWEST = "2024Q4"
NEW_QUARTER = "2025Q1"


def periods_ending(newest: str, count: int) -> list:
    from sources.period import Period

    periods = [Period.parse(newest)]
    while len(periods) < count:
        periods.insert(0, periods[0].previous())
    return periods


def generate(inbox: Path, periods: list, scale: float) -> None:
    from parity.generate import generate as write_deliveries
    from sources.dialect import DIALECTS

    write_deliveries(inbox, periods, sorted(DIALECTS), scale=scale, seed=1, progress=False)


def floor(inbox: Path, work: Path) -> dict:
    """The plain read: every personnel table straight into DuckDB (CSV by DuckDB, Windows-1251 by
    pandas, workbooks by calamine), then the share of women per country and quarter in SQL."""
    import duckdb
    import pandas as pd
    from python_calamine import CalamineWorkbook

    from sources.dialect import COMMON_CODES, DIALECTS

    start = time.perf_counter()
    (work / "floor.duckdb").unlink(missing_ok=True)
    con = duckdb.connect(str(work / "floor.duckdb"))
    con.execute("CREATE TABLE personnel (country VARCHAR, period VARCHAR, sex VARCHAR)")
    rows = 0
    for path in sorted(inbox.glob("*/*")):
        country, period = path.parent.name, path.stem.split("_")[1]
        dialect = DIALECTS[country]
        header = dialect.headers["personnel"]["sex"]
        if path.suffix == ".xlsx":
            cells = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(dialect.sheets["personnel"]).to_python()
            frame = pd.DataFrame(cells[1:], columns=[str(c) for c in cells[0]])
        elif "personnel" not in path.name:
            continue
        elif dialect.encoding != "utf-8":
            frame = pd.read_csv(path, encoding=dialect.encoding, sep=dialect.delimiter, dtype=str)
        else:
            frame = con.execute("SELECT * FROM read_csv(?, delim=?, header=true, all_varchar=true)",
                                [str(path), dialect.delimiter]).df()
        column = next(c for c in frame.columns if dialect.key(str(c)) == dialect.key(header))  # case, script vary
        con.execute(f'INSERT INTO personnel SELECT ?, ?, lower(trim("{column}")) FROM frame', [country, period])
        rows += len(frame)
    women = sorted({label.lower() for d in DIALECTS.values()
                    for label in (d.codes.get("sex") or COMMON_CODES["sex"])["F"]})
    shares = con.execute("SELECT country, period, avg(CASE WHEN sex IN (SELECT unnest(?)) THEN 1 ELSE 0 END) "
                         "FROM personnel GROUP BY ALL", [women]).fetchall()
    con.close()
    return {"seconds": time.perf_counter() - start, "rows": rows, "indicator_rows": len(shares)}


# Starts `parity load` and reports its peak memory: RUSAGE_CHILDREN is the largest of a process's
# waited-for descendants over its whole life, so each load gets a fresh process to measure it.
MEASURED = ("import resource, subprocess, sys; status = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(status)")


def parity_load(home: Path, inbox: Path, config: Path, partitions: int) -> dict:
    """`parity load` in its own process, as an engineer starts it; its wall time and the peak memory
    of its largest process (itself or dbt). It must have taken `partitions` (quarter, country)
    partitions and built the marts."""
    env = {**os.environ, "PARITY_HOME": str(home), "PARITY_INBOX": str(inbox), "PARITY_CONFIG": str(config),
           "PARITY_PSEUDONYM_KEY": "bench",
           "PARITY_SETTLE_SECONDS": "0", "DAGSTER_HOME": str(home / "dagster")}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURED, str(Path(sys.executable).with_name("parity")), "load"],
                            env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    taken = result.stdout.count(": archive, read, check, load")
    if result.returncode != 0 or taken != partitions or "dbt build: done" not in result.stdout:
        sys.exit(f"parity load failed ({result.returncode}; {taken} of {partitions} partitions):\n"
                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    peak_kib = int(result.stderr.strip().splitlines()[-1])
    return {"seconds": seconds, "peak_mib": peak_kib / 1024}


def publication(home: Path) -> dict:
    """The secondary suppression of the loads just timed: the rows of the latest release, confidential
    (C), withheld to protect them (D) and D's share; and the time of the suppression step (the decision
    and its audit over every release) in the full load and in the new quarter's, from its records."""
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows, confidential, withheld = con.execute(
            "SELECT rows_published + rows_confidential + rows_withheld, rows_confidential, rows_withheld "
            "FROM meta.releases ORDER BY release_id DESC LIMIT 1").fetchone()
        steps = [s for (s,) in con.execute("SELECT seconds FROM meta.disclosure_audits WHERE passed "
                                           "ORDER BY audited_at").fetchall()]
    return {"rows": rows, "confidential": confidential, "secondary": withheld, "secondary_share": withheld / rows,
            "full_seconds": steps[0], "new_quarter_seconds": steps[-1]}


def run_history(work: Path, quarters: int, scale: float) -> dict:
    """A full load of `quarters` quarters, then one new quarter, and the floor of the full load. The
    generated files are kept (--keep reuses them); each run gets a fresh home and a fresh inbox."""
    from sources.dialect import DIALECTS

    generated, staged = work / f"generated-{scale:g}x{quarters}", work / f"new-{scale:g}x{quarters}"
    if not generated.exists():
        generate(staged, periods_ending(NEW_QUARTER, 1), scale)
        generate(generated, periods_ending(NEWEST, quarters), scale)
    run = work / f"run-{scale:g}x{quarters}"
    shutil.rmtree(run, ignore_errors=True)
    inbox, home = run / "inbox", run / "home"
    shutil.copytree(generated, inbox)  # copied before the clock starts (parity refuses hard links)
    # the countries report from the history's first quarter (the partitions start there)
    first = str(periods_ending(NEWEST, quarters)[0])
    config = run / "parity.toml"
    config.write_text(re.sub(r'first_period = "\d{4}Q\d"', f'first_period = "{first}"',
                             (ROOT / "config" / "parity.toml").read_text(encoding="utf-8")), encoding="utf-8")
    figures = {"quarters": quarters, "scale": scale, "floor": floor(inbox, run)}
    figures["full"] = parity_load(home, inbox, config, partitions=len(DIALECTS) * quarters)
    figures["new_quarter"] = new_quarter(run, home, inbox, staged, config)
    figures["suppression"] = publication(home)
    return figures


def new_quarter(run: Path, home: Path, inbox: Path, staged: Path, config: Path) -> dict:
    """The new quarter loaded twice: on the home just loaded and on a copy of it (made before, off the
    clock). One load of 15-20 s moves by about 5 % with the machine, a ratio of two such loads by twice
    that; the faster of the two counts, as timeit takes its best. `each`: both times."""
    from sources.dialect import DIALECTS

    again = run / "again"
    shutil.copytree(home, again / "home")
    shutil.copytree(inbox, again / "inbox")
    loads = []
    for target_home, target_inbox in ((home, inbox), (again / "home", again / "inbox")):
        shutil.copytree(staged, target_inbox, dirs_exist_ok=True)
        loads.append(parity_load(target_home, target_inbox, config, partitions=len(DIALECTS)))
    shutil.rmtree(again)
    return {**min(loads, key=lambda figures: figures["seconds"]), "each": [figures["seconds"] for figures in loads]}


def report(results: list[dict]) -> None:
    print("\n| scale x quarters | floor s | full load s | full / floor | new quarter s (both loads) "
          "| full load peak MiB (largest process) |")
    print("|---|---|---|---|---|---|")
    for f in results:
        ratio = f["full"]["seconds"] / f["floor"]["seconds"]
        print(f"| {f['scale']:g} x {f['quarters']} | {f['floor']['seconds']:.1f} | {f['full']['seconds']:.1f} | "
              f"{ratio:.1f}x | {f['new_quarter']['seconds']:.1f} ({', '.join(f'{s:.1f}' for s in f['new_quarter']['each'])}) | "
              f"{f['full']['peak_mib']:,.0f} |")
    print("\n| scale x quarters | indicator rows | confidential (C) | withheld to protect them (D) | D share | "
          "suppression step s: full load | new quarter |")
    print("|---|---|---|---|---|---|---|")
    for f in results:
        p = f["suppression"]
        print(f"| {f['scale']:g} x {f['quarters']} | {p['rows']:,} | {p['confidential']:,} | {p['secondary']:,} | "
              f"{p['secondary_share']:.1%} | {p['full_seconds']:.1f} | {p['new_quarter_seconds']:.1f} |")
    by = {(f["scale"], f["quarters"]): f for f in results}
    if (1.0, 8) in by:
        f = by[(1.0, 8)]
        ratio = f["full"]["seconds"] / f["floor"]["seconds"]
        print(f"\nfull load 4 x 8 / floor: {ratio:.1f}x (target at most 10x): {'met' if ratio <= 10 else 'NOT met'}")
        print(f"new quarter after 8: {f['new_quarter']['seconds']:.1f} s (target at most 20 s on a quiet machine): "
              f"{'met' if f['new_quarter']['seconds'] <= 20 else 'NOT met'}")
    if (1.0, 8) in by and (1.0, 40) in by:
        growth = by[(1.0, 40)]["new_quarter"]["seconds"] / by[(1.0, 8)]["new_quarter"]["seconds"]
        print(f"new quarter after 40 / after 8 quarters of history: {growth:.2f}x (target at most 1.2x): "
              f"{'met' if growth <= 1.2 else 'NOT met'}")
    if (10.0, 40) in by:
        f = by[(10.0, 40)]
        minutes, gib = f["full"]["seconds"] / 60, f["full"]["peak_mib"] / 1024
        print(f"scale 10 x 40 from scratch: {minutes:.1f} min, peak {gib:.2f} GiB (targets 15 min, 4 GiB): "
              f"{'met' if minutes <= 15 and gib <= 4 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", default="8,40",
                        help='history lengths in quarters, comma-separated ("" with --scale10: that run alone)')
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--scale10", action="store_true", help="also 40 quarters at scale 10 (about 20 M personnel rows)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (generated files are reused)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="parity-bench-load-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        measure(args, work)
    finally:
        if not args.keep:  # generated files and homes: about 1.5 GB at scale 1, 15 GB at scale 10
            shutil.rmtree(work, ignore_errors=True)


def measure(args, work: Path) -> None:
    runs = [(args.scale, int(q)) for q in args.history.split(",") if q] + ([(10.0, 40)] if args.scale10 else [])
    results = []
    for scale, quarters in runs:
        figures = run_history(work, quarters, scale)
        results.append(figures)
        print(json.dumps(figures), flush=True)
    report(results)


if __name__ == "__main__":
    main()
