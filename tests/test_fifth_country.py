"""A fifth country and a second region that includes it, end to end, on a copy of the project changed
only as the README's "Adding a fifth country" says (a dialect file, its ranks, its focal point, the
countries and regions seeds): no Python or SQL file changes. WB4 stays the spec's four countries."""
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from parity.dbt import PARSE_CACHE

from conftest import home_environment, sample_files

ROOT = Path(__file__).resolve().parent.parent
NEW, REGION = "ALB", "WB5"


def _code_hashes(tree: Path) -> dict[str, str]:
    return {str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest()
            for pattern in ("*.py", "*.sql") for p in tree.rglob(pattern)
            if not {".venv", "target", "tests"} & set(p.relative_to(tree).parts)}


def _configure_a_fifth_country(project: Path) -> None:
    """What the README asks of whoever adds a country, with MNE's dialect under another code."""
    dialect = (project / "sources" / "dialects" / "MNE.toml").read_text(encoding="utf-8")
    (project / "sources" / "dialects" / f"{NEW}.toml").write_text(
        dialect.replace('country = "MNE"', f'country = "{NEW}"').replace('name = "Montenegro"', 'name = "Albania"'),
        encoding="utf-8")
    seeds = project / "dbt_project" / "seeds"
    ranks = (seeds / "ranks.csv").read_text(encoding="utf-8").splitlines()
    (seeds / "ranks.csv").write_text("\n".join(ranks + [f"{NEW},{line[4:]}" for line in ranks if line.startswith("MNE,")])
                                     + "\n", encoding="utf-8")
    with (seeds / "countries.csv").open("a", encoding="utf-8") as f:
        f.write(f"{NEW},Albania,cnr,false\n{REGION},Western Balkans (five countries),,true\n")
    with (seeds / "region_members.csv").open("a", encoding="utf-8") as f:
        f.write("".join(f"{REGION},{c}\n" for c in ("BIH", "MKD", "MNE", "SRB", NEW)))
    with (project / "parity" / "messages" / "catalogue.toml").open("a", encoding="utf-8") as f:
        for code, names in ((NEW, ("Albania", "Albanija", "Albanija", "Албанија", "Албанија")),
                            (REGION, ("Western Balkans (five countries)", "Zapadni Balkan (pet zemalja)",
                                      "Zapadni Balkan (pet zemalja)", "Западен Балкан (пет земји)",
                                      "Западни Балкан (пет земаља)"))):
            f.write(f'\n[data."country.{code}"]\nreview = "draft"\n'
                    + "".join(f'{lang} = "{name}"\n' for lang, name in zip(("en", "bs", "cnr", "mk", "sr"), names)))
    config = project / "config" / "parity.toml"
    mne = config.read_text(encoding="utf-8").split("[countries.MNE]")[1].split("\n\n")[0]
    with config.open("a", encoding="utf-8") as f:
        f.write(f"\n[countries.{NEW}]{mne.replace('focal.point.mne', 'focal.point.alb')}\n")


def test_a_fifth_country_and_a_region_that_includes_it_need_no_code_change(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(
        ".venv", ".git", "data", "target", "logs", "__pycache__", ".pytest_cache", "artifacts"))
    _configure_a_fifth_country(project)
    assert _code_hashes(project) == _code_hashes(ROOT)
    # the engineer's checkout has `make setup`'s parse: dbt parses again what the change touched
    (project / "dbt_project" / "target").mkdir()
    shutil.copy(ROOT / "dbt_project" / "target" / PARSE_CACHE, project / "dbt_project" / "target" / PARSE_CACHE)

    home = tmp_path / "home"
    for path in sample_files(period="2024Q4"):  # the quarter the checks below read
        (home / "inbox" / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, home / "inbox" / path.parent.name / path.name)
    (home / "inbox" / NEW).mkdir()
    for path in sample_files("MNE", "2024Q4"):  # its files: MNE's dialect, renamed
        shutil.copy(path, home / "inbox" / NEW / path.name.replace("MNE_", f"{NEW}_"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARITY_", "DAGSTER_"))}
    env.update({k: v for k, v in home_environment(home).items() if v is not None})

    def parity(*args):  # the copy's own code: `python -m` puts the working directory first on the path
        result = subprocess.run([sys.executable, "-m", *args], cwd=project, env=env, capture_output=True, text=True,
                                timeout=900)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout

    parity("parity.dbt")  # make setup's manifest, of the copy
    out = parity("parity.cli", "load")
    assert f"{NEW}      2024Q4  personnel" in out and "REJECTED" not in out

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:  # before disclosure control
        def total(country, period="2024Q4", code="WSHARE_UNIFORMED"):
            return con.execute("""SELECT numerator, denominator FROM marts.indicator_values WHERE indicator_code = ?
                                  AND country_code = ? AND period = ? AND breakdown = 'total'""",
                               [code, country, period]).fetchone()
        counts = {c: total(c) for c in ("BIH", "MKD", "MNE", "SRB", NEW)}
        assert all(counts.values())
        for region, members in (("WB4", ("BIH", "MKD", "MNE", "SRB")), (REGION, (*("BIH", "MKD", "MNE", "SRB"), NEW))):
            assert total(region) == tuple(sum(counts[c][i] for c in members) for i in (0, 1)), region
        names = dict(con.execute("SELECT country_code, country_name FROM marts.dim_country").fetchall())
        assert names[NEW] == "Albania" and names[REGION].startswith("Western Balkans")

    reports = parity("parity.cli", "report", "--period", "2024Q4", "--no-pdf")
    built = sorted(p.name for p in (home / "reports" / "2024Q4").glob("*.html"))
    languages = {"ALB": "cnr", "BIH": "bs", "MKD": "mk", "MNE": "cnr", "SRB": "sr"}
    assert built == sorted([f"parity_{a}_2024Q4_{lang}.html" for a, own in languages.items() for lang in (own, "en")]
                           + [f"parity_{r}_2024Q4_{lang}.html" for r in ("WB4", REGION)
                              for lang in ("en", "bs", "cnr", "mk", "sr")]), reports
    wb5 = (home / "reports" / "2024Q4" / f"parity_{REGION}_2024Q4_en.html").read_text(encoding="utf-8")
    assert "Albania" in wb5 and "Western Balkans (five countries)" in wb5
    assert "Албанија" in (home / "reports" / "2024Q4" / f"parity_{REGION}_2024Q4_sr.html").read_text(encoding="utf-8")
