"""The dbt project and its manifest, prepared before the definitions load."""
import os
from pathlib import Path

from dagster_dbt import DbtProject

from parity.config import DBT_PROJECT_DIR, Settings
from parity.dbt import run_dbt

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
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
