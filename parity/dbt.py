"""Running this project's dbt in a child process, on the DuckDB warehouse or another target."""
import os
import subprocess
import sys
from pathlib import Path

from parity.config import DBT_PROJECT_DIR

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")  # this environment's dbt, whether or not on PATH
SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds")  # what the manifest is made of


class ManifestMissing(RuntimeError):
    pass


def run_dbt(*args: str, warehouse: Path | None = None, target_path: Path | None = None,
            env: dict[str, str] | None = None) -> None:
    """dbt on this project, quietly; raises if it fails. `warehouse` is the DuckDB file of the default
    target; `env` adds variables (the `postgres` target's connection, see parity.postgres).
    `target_path` keeps its artefacts (and logs) away from the project's target/, whose manifest
    the code location reads."""
    env = {**os.environ, **({"PARITY_WAREHOUSE": str(warehouse)} if warehouse else {}), **(env or {})}
    elsewhere = ["--target-path", str(target_path), "--log-path", str(target_path / "logs")] if target_path else []
    subprocess.run([str(DBT_EXECUTABLE), *args, "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
                    "--profiles-dir", str(DBT_PROJECT_DIR), *elsewhere],
                   check=True, env=env, cwd=DBT_PROJECT_DIR, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    # `make setup`: the manifest the Dagster code location is built from (dbt parse needs no database)
    run_dbt("parse")
    print(f"prepared {DBT_PROJECT_DIR / 'target' / 'manifest.json'}")
