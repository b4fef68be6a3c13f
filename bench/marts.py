"""Marts benchmark: the dbt build over the raw tables, full and incremental, and the analysts' query.

    .venv/bin/python bench/marts.py [--configs 1x8,1x40,10x40] [--keep DIR]

For each configuration SCALExQUARTERS (quarters ending 2024Q4), history is put straight into the raw
tables (simulated canonical tables, pseudonymised, registered as accepted; no files are read), then:
- full:    `dbt build` from an empty schema over all quarters (models and their tests);
- append:  the newest quarter of the four countries arrives, `dbt build` again (the partitioned
           models rebuild only what depends on it); compared between 8 and 40 quarters of history,
           it must not grow with history;
- noop:    `dbt build` with nothing new (the fixed cost of dbt and the tests);
- query:   every indicator of one country over all quarters from public.duckdb.
Baseline in the same run: a plain DuckDB SQL computation of WSHARE_UNIFORMED (total rows) over the
same raw tables; the figures are printed as ratios to it.
"""
import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parity import warehouse  # noqa: E402
from parity.config import Settings  # noqa: E402
from parity.dbt import run_dbt  # noqa: E402
from parity.generate import simulate  # noqa: E402
from parity.pseudonym import pseudonymise_table  # noqa: E402
from parity.public import export_public, public_relations  # noqa: E402
from sources.period import Period  # noqa: E402

COUNTRIES = ["BIH", "MKD", "MNE", "SRB"]
BASELINE_SQL = """
SELECT country_code, period, count(*) FILTER (WHERE sex = 'F') AS women, count(*) AS uniformed
FROM raw.personnel WHERE category IN ('officer', 'nco', 'soldier') GROUP BY ALL
"""


def put_raw(settings: Settings, periods: list[Period], scale: float) -> int:
    """Simulated tables of `periods` straight into the raw tables, registered as accepted versions."""
    key, rows = b"bench", 0
    now = dt.datetime.now(dt.UTC)
    with warehouse.connect(settings.warehouse) as con:
        warehouse.ensure_schema(con)
        for country, period, tables in simulate(periods, COUNTRIES, scale=scale, seed=1):
            file_id = warehouse.register_file(con, country=country, period=str(period), file_name="bench",
                                              sha256="-", size=0, received_at=now, archive_path="-", status="read")
            for table, frame in tables.items():
                frame = pseudonymise_table(country, frame.reset_index(drop=True), key) \
                    .assign(source_row=lambda f: f.index + 2)
                con.execute("BEGIN TRANSACTION")
                table_id = warehouse.register_table(
                    con, file_id=file_id, country=country, period=str(period), table=table, sheet=None,
                    content_hash="-", received_at=now, rows=len(frame), status="accepted", version=1,
                    errors=0, warnings=0, message=None)
                warehouse.replace_partition(con, table, country, str(period), table_id, frame)
                con.execute("COMMIT")
                rows += len(frame)
    return rows


def dbt_build(settings: Settings, *args: str) -> dict:
    """Wall time of `dbt build`, and from run_results.json the time spent in models and in tests
    (the rest is dbt's start-up, parsing and hooks)."""
    target = settings.home / "dbt-target"
    start = time.perf_counter()
    run_dbt("build", *args, warehouse=settings.warehouse, target_path=target, settings=settings)
    wall = time.perf_counter() - start
    results = json.loads((target / "run_results.json").read_text())["results"]
    spent = {"model": 0.0, "test": 0.0}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        if kind in spent:
            spent[kind] += r["execution_time"]
    return {"wall": wall, "models": spent["model"], "tests": spent["test"]}


def timed(function, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def baseline(settings: Settings) -> float:
    import duckdb

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return timed(lambda: con.execute(BASELINE_SQL).fetchall())


def query_public(settings: Settings) -> tuple[float, int]:
    import duckdb

    with duckdb.connect(str(settings.public_warehouse), read_only=True) as con:
        sql = "SELECT * FROM indicator_values_public WHERE country_code = 'SRB' ORDER BY indicator_code, period"
        return timed(lambda: con.execute(sql).fetchall()), len(con.execute(sql).fetchall())


def run(config: str, work: Path) -> dict:
    scale, quarters = float(config.split("x")[0]), int(config.split("x")[1])
    periods = Period.range("2024Q4:2024Q4")
    for _ in range(quarters - 1):
        periods.insert(0, periods[0].previous())
    home = work / config
    os.environ.update(PARITY_HOME=str(home), PARITY_PSEUDONYM_KEY="bench")
    settings = Settings.from_env()
    history, newest = periods[:-1], periods[-1:]
    start = time.perf_counter()
    rows = put_raw(settings, history, scale)
    figures = {"config": config, "history_rows": rows, "seconds_put_raw": time.perf_counter() - start}
    figures["full_history"] = dbt_build(settings)
    figures["baseline_history"] = baseline(settings)
    figures["new_rows"] = put_raw(settings, newest, scale)  # re-simulates from 2015Q1 to reach it
    figures["append"] = dbt_build(settings)
    figures["noop"] = dbt_build(settings)
    figures["full_all"] = dbt_build(settings, "--full-refresh")
    figures["baseline"] = baseline(settings)
    export_public(settings, public_relations(settings.home / "dbt-target" / "manifest.json"))
    figures["query"], figures["query_rows"] = query_public(settings)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="1x8,1x40,10x40")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="parity-bench-marts-"))
    results = []
    for config in args.configs.split(","):
        figures = run(config, work)
        results.append(figures)
        print(f"{config}: {figures}", flush=True)
    print("\n| scale x quarters | raw rows | full build s (models / tests) | append newest s (models / tests) | "
          "no-op build s | query s | baseline s | full models / baseline | append models / baseline | "
          "query / baseline |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for f in results:
        b, full, append, noop = f["baseline"], f["full_all"], f["append"], f["noop"]
        print(f"| {f['config']} | {f['history_rows'] + f['new_rows']:,} | {full['wall']:.1f} ({full['models']:.1f} / "
              f"{full['tests']:.1f}) | {append['wall']:.1f} ({append['models']:.2f} / {append['tests']:.1f}) | "
              f"{noop['wall']:.1f} | {f['query']:.4f} | {b:.4f} | {full['models'] / b:,.0f}x | "
              f"{append['models'] / b:,.0f}x | {f['query'] / b:.2f}x |")
    by = {f["config"]: f for f in results}
    if "1x8" in by and "1x40" in by:
        short, long = by["1x8"], by["1x40"]
        print(f"\nappending the newest quarter, 40 vs 8 quarters of history (scale 1): models "
              f"{long['append']['models'] / short['append']['models']:.2f}x, whole build "
              f"{long['append']['wall'] / short['append']['wall']:.2f}x; "
              f"history rows {long['history_rows'] / short['history_rows']:.1f}x")

if __name__ == "__main__":
    main()
