"""The dbt project and its manifest, prepared before the definitions load."""
import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from parity.config import DBT_PROJECT_DIR, Settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")  # this environment's dbt, whether or not on PATH
_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in _SOURCES:
        path = DBT_PROJECT_DIR / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def ensure_manifest() -> Path:
    """Run `dbt parse` when target/manifest.json is missing or older than the project's files.
    (No packages.yml on purpose: dagster-dbt would run `dbt deps`, which needs the dbt hub.)"""
    manifest = dbt_project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime():
        return manifest
    run_dbt("parse", warehouse=Path(os.environ.get("PARITY_WAREHOUSE", Settings.from_env().warehouse)))
    return manifest


def run_dbt(*args: str, warehouse: Path, target_path: Path | None = None) -> None:
    """dbt on this project against `warehouse`, in a child process, quietly; raises if it fails.
    `target_path` keeps its artefacts (and logs) away from the project's target/, whose manifest
    the code location reads."""
    env = {**os.environ, "PARITY_WAREHOUSE": str(warehouse)}
    elsewhere = ["--target-path", str(target_path), "--log-path", str(target_path / "logs")] if target_path else []
    subprocess.run([str(DBT_EXECUTABLE), *args, "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
                    "--profiles-dir", str(DBT_PROJECT_DIR), *elsewhere],
                   check=True, env=env, cwd=DBT_PROJECT_DIR, stdout=subprocess.DEVNULL)
