"""Ingest benchmark: parity's reader + pseudonymisation + load against a minimal reader of the same
files, in the same run (ratios, not absolute seconds), and the generator's peak memory.

    .venv/bin/python bench/ingest.py [--scales 1,10] [--quarters 2023Q1:2024Q4] [--keep DIR]

The minimal reader is what a one-off script would do: DuckDB read_csv for the UTF-8 files (MNE,
SRB), pandas for Windows-1251 (MKD), calamine for the workbooks (BIH), each table straight into
DuckDB with no checks, no pseudonymisation, no registry. Every measurement runs in a child process
so that its peak memory (max RSS) is its own.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure_parity(inbox: Path, home: Path) -> dict:
    from parity.config import Settings
    from parity.ingest import ingest_files, new_files

    os.environ.update(PARITY_HOME=str(home), PARITY_PSEUDONYM_KEY="bench", PARITY_INBOX=str(inbox))
    settings = Settings.from_env()
    start, rows = time.perf_counter(), 0
    for country in ("BIH", "MKD", "MNE", "SRB"):
        outcomes = ingest_files(settings, country, new_files(settings, country))
        assert all(o.status == "accepted" for o in outcomes), [o.summary() for o in outcomes if o.status != "accepted"]
        rows += sum(o.rows for o in outcomes)
    return {"rows": rows, "seconds": time.perf_counter() - start}


def measure_minimal(inbox: Path, home: Path) -> dict:
    import duckdb
    import pandas as pd
    from python_calamine import CalamineWorkbook

    home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(home / "minimal.duckdb"))
    start, rows, n = time.perf_counter(), 0, 0
    for path in sorted(inbox.glob("*/*")):
        n += 1
        if path.suffix == ".xlsx":
            book = CalamineWorkbook.from_path(str(path))
            for sheet in book.sheet_names:
                data = book.get_sheet_by_name(sheet).to_python()
                frame = pd.DataFrame(data[1:], columns=[f"c{i}" for i in range(len(data[0]))])
                con.execute(f"CREATE TABLE t{n}_{sheet} AS SELECT * FROM frame")
                rows += len(frame)
        elif path.parent.name == "MKD":
            frame = pd.read_csv(path, encoding="cp1251", dtype=str)
            con.execute(f"CREATE TABLE t{n} AS SELECT * FROM frame")
            rows += len(frame)
        else:
            delimiter = ";" if path.parent.name == "SRB" else ","
            con.execute(f"CREATE TABLE t{n} AS SELECT * FROM read_csv(?, delim=?, header=true, all_varchar=true)",
                        [str(path), delimiter])
            rows += con.execute(f"SELECT count(*) FROM t{n}").fetchone()[0]
    con.close()
    return {"rows": rows, "seconds": time.perf_counter() - start}


def measure_generate(out: Path, quarters: str, scale: float) -> dict:
    from parity.generate import generate
    from sources.period import Period

    start = time.perf_counter()
    files = generate(out, Period.range(quarters), ["BIH", "MKD", "MNE", "SRB"], scale, seed=1, progress=False)
    return {"files": len(files), "seconds": time.perf_counter() - start}


def child(kind: str, *args: str) -> dict:
    """Run one measurement in a fresh process; add its peak RSS."""
    out = subprocess.run([sys.executable, __file__, "--child", kind, *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--quarters", default="2023Q1:2024Q4")
    parser.add_argument("--generator-scale", type=float, default=20)
    parser.add_argument("--keep", help="keep generated files here instead of a temporary folder")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = {"parity": lambda: measure_parity(Path(rest[0]), Path(rest[1])),
                  "minimal": lambda: measure_minimal(Path(rest[0]), Path(rest[1])),
                  "generate": lambda: measure_generate(Path(rest[0]), rest[1], float(rest[2]))}[kind]()
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    work = Path(args.keep or tempfile.mkdtemp(prefix="parity-bench-"))
    print(f"ingest benchmark: {args.quarters}, four countries; files under {work}\n")
    print(f"{'scale':>5}  {'reader':<8} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'peak MiB':>9}  ratio (parity/minimal time)")
    for scale in [float(s) for s in args.scales.split(",")]:
        inbox = work / f"inbox-{scale:g}"
        if not inbox.exists():
            child("generate", str(inbox), args.quarters, str(scale))
        results = {kind: child(kind, str(inbox), str(work / f"home-{kind}-{scale:g}-{time.time_ns()}"))
                   for kind in ("minimal", "parity")}
        for kind, r in results.items():
            ratio = f"{r['seconds'] / results['minimal']['seconds']:.2f}x" if kind == "parity" else ""
            print(f"{scale:>5g}  {kind:<8} {r['rows']:>10,} {r['seconds']:>8.2f} {r['rows'] / r['seconds']:>10,.0f} "
                  f"{r['peak_rss_mib']:>9.0f}  {ratio}")
    quarters = "2024Q1:2024Q4"
    g = child("generate", str(work / f"generated-{args.generator_scale:g}"), quarters, str(args.generator_scale))
    small = child("generate", str(work / "generated-1"), quarters, "1")
    print(f"\ngenerator, {quarters} (simulated from 2015Q1): scale {args.generator_scale:g}: {g['seconds']:.1f} s, "
          f"peak {g['peak_rss_mib']:.0f} MiB; scale 1: {small['seconds']:.1f} s, peak {small['peak_rss_mib']:.0f} MiB "
          f"(memory ratio {g['peak_rss_mib'] / small['peak_rss_mib']:.1f}x for {args.generator_scale:g}x the people)")


if __name__ == "__main__":
    main()
