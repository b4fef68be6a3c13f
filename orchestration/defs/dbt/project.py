"""The dbt project and its manifest, prepared by `make setup` (`python -m parity.dbt`) before the
definitions load: importing the code location starts no dbt process."""
from pathlib import Path

from dagster_dbt import DbtProject

from parity.config import DBT_PROJECT_DIR
from parity.dbt import SOURCES, ManifestMissing

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in SOURCES:
        path = DBT_PROJECT_DIR / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def prepared_manifest() -> Path:
    """target/manifest.json, refused when missing or older than the project's files (a Dagster asset
    graph that does not match the models would mislead). No packages.yml on purpose: dagster-dbt
    would run `dbt deps`, which needs the dbt hub."""
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        raise ManifestMissing(
            f"{manifest} is {'missing' if not manifest.exists() else 'older than the dbt project'}: "
            f"run `make setup` (or `.venv/bin/python -m parity.dbt`) to prepare it")
    return manifest
