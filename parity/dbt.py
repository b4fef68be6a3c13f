"""Running this project's dbt in a child process, on the DuckDB warehouse or a PostgreSQL database.

dbt gets its settings from parity, never from parity's environment: each invocation writes its own
profiles.yml into a private temporary folder (the warehouse file, or the PostgreSQL server), and the
project variables parity decides (`--vars`). dbt_project/profiles.yml is only for running dbt by
hand (`make docs`, a developer's `dbt show`).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from parity.config import DBT_PROJECT_DIR, WAREHOUSE_FILE, Settings

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")  # this environment's dbt, whether or not on PATH
# what parity starts for a dbt command: run by this process's dbt server when there is one (parity/dbt_server.py)
DBT_COMMAND = Path(sys.executable).with_name("parity-dbt")
SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds")  # what the manifest is made of
PROFILE = "parity"  # dbt_project.yml's profile
PARSE_CACHE = "partial_parse.msgpack"  # dbt's parse, in a target folder
# dbt keeps variables named DBT_ENV_SECRET_* out of its logs and artefacts
PASSWORD_VARIABLE = "DBT_ENV_SECRET_PARITY_PG_PASSWORD"


class ManifestMissing(RuntimeError):
    pass


def duckdb_output(warehouse: Path, memory_mb: int) -> tuple[dict, dict[str, str]]:
    """dbt's `duckdb` output for the file `warehouse`, and the environment dbt needs for it.

    The file is named from the home directory ("~/", which DuckDB expands) and dbt runs with HOME
    set to the file's folder. dbt's parse cache (partial_parse.msgpack) is keyed by the profile's
    connection settings, the path among them: with the absolute path, the first build in every new
    home parsed the whole project again (about 4 s). The same path string everywhere lets it start
    from the parse `make setup` prepared, which names the same file (config.WAREHOUSE_FILE), with
    the same settings (a build with another `memory_mb` than the prepared parse's parses again).

    `memory_mb` caps what DuckDB holds in memory (Settings.build_memory_mb); beyond it, DuckDB spills
    to `<warehouse>.tmp` beside the file, created owner-only as everything under the home."""
    # one thread: DuckDB has one writer, and the models' own queries use every core
    output = {"type": "duckdb", "path": f"~/{Path(warehouse).name}", "threads": 1,
              "settings": {"memory_limit": f"{memory_mb}MB"}}
    return output, {"HOME": str(Path(warehouse).resolve().parent)}


@contextmanager
def process_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """These variables in this process's environment for the duration, then as they were: for
    dagster-dbt, which starts dbt with a copy of this process's environment (held only while it
    starts the process)."""
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def postgres_output(url: str) -> tuple[dict, dict[str, str]]:
    """dbt's `postgres` output for a postgresql:// URL, and the password as a secret variable. A
    socket directory given as ?host=/path (libpq's spelling) is passed on as the host."""
    from parity.postgres import parse_url

    parsed = parse_url(url)
    host = parsed.query.get("host") or parsed.host or "127.0.0.1"
    output = {"type": "postgres", "host": host if isinstance(host, str) else host[0], "port": parsed.port or 5432,
              "user": parsed.username or "postgres", "dbname": parsed.database or "postgres", "schema": "public",
              "threads": 2, "password": "{{ env_var('" + PASSWORD_VARIABLE + "', '') }}"}
    return output, {PASSWORD_VARIABLE: parsed.password or ""}


@contextmanager
def generated_profile(output: Mapping) -> Iterator[Path]:
    """A folder holding profiles.yml with this one output, owner-only, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="parity-dbt-profile-") as folder:
        path = Path(folder) / "profiles.yml"
        # JSON is YAML: no quoting rules of our own for paths and names
        path.write_text(json.dumps({PROFILE: {"target": "parity", "outputs": {"parity": dict(output)}}}),
                        encoding="utf-8")
        path.chmod(0o600)
        yield Path(folder)


def reference_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """What the seeds' tables are loaded from: every file under seeds/ (the CSV files and their
    properties), dbt_project.yml (their configuration) and dbt's version (its seed materialisation).
    A whole build on a warehouse whose reference tables were loaded from the same fingerprint need not
    load them again (orchestration/defs/dbt/assets.py)."""
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256(f"dbt-core {version('dbt-core')}\n".encode())
    seeds = sorted(path for path in (project_dir / "seeds").rglob("*") if path.is_file())
    for path in [project_dir / "dbt_project.yml", *seeds]:
        digest.update(f"{path.relative_to(project_dir).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def dbt_vars(settings) -> list[str]:
    """`--vars` for the project variables that are settings of a deployment (parity.config.Settings);
    their defaults in dbt_project.yml are the same (tests/test_one_source.py)."""
    return ["--vars", json.dumps({"disclosure_threshold": settings.disclosure_threshold})]


@contextmanager
def dbt_invocation(*args: str, warehouse: Path | None = None, postgres_url: str | None = None,
                   target_path: Path | None = None, project_dir: Path = DBT_PROJECT_DIR,
                   settings=None) -> Iterator[tuple[list[str], dict[str, str]]]:
    """The arguments of a quiet dbt command on a project (this one unless told), and the environment
    variables it needs, while its generated profile exists. The target is the DuckDB file `warehouse`
    or the PostgreSQL database `postgres_url` (a parse needs neither). `target_path` keeps its
    artefacts (and logs) away from the project's target/, whose manifest the code location reads.
    `settings` sets the project variables that are settings (dbt_vars)."""
    if postgres_url:
        output, environment = postgres_output(postgres_url)
    else:
        # a parse opens no database: the file a build's parse names (duckdb_output)
        warehouse = warehouse or project_dir / "target" / WAREHOUSE_FILE
        output, environment = duckdb_output(warehouse, (settings or Settings.from_env()).build_memory_mb)
    elsewhere = ["--target-path", str(target_path), "--log-path", str(target_path / "logs")] if target_path else []
    prepared = project_dir / "target" / PARSE_CACHE
    if target_path and prepared.exists() and not (target_path / PARSE_CACHE).exists():
        # a new target starts from the project's prepared parse, as dagster-dbt's builds do
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copy(prepared, target_path / PARSE_CACHE)
    with generated_profile(output) as profiles:
        variables = dbt_vars(settings) if settings else []
        # dbt's log file at info, as the loads' builds keep it: debug writes every query and event (about 1 s
        # of a build); errors are at error level, and a developer running dbt by hand gets debug
        yield ([*args, *variables, "--quiet", "--log-level-file", "info", "--project-dir", str(project_dir),
                "--profiles-dir", str(profiles), *elsewhere], environment)


def run_dbt(*args: str, warehouse: Path | None = None, postgres_url: str | None = None,
            target_path: Path | None = None, project_dir: Path = DBT_PROJECT_DIR, settings=None) -> None:
    """dbt_invocation's command in a child process (the dbt server's, if this process has one); raises
    if it fails."""
    with dbt_invocation(*args, warehouse=warehouse, postgres_url=postgres_url, target_path=target_path,
                        project_dir=project_dir, settings=settings) as (arguments, environment):
        subprocess.run([str(DBT_COMMAND), *arguments], check=True, env={**os.environ, **environment}, cwd=project_dir,
                       stdout=subprocess.DEVNULL)


def empty_warehouse(folder: Path) -> Path:
    """A warehouse in `folder` with the raw and meta tables and no rows, under the file name of the
    prepared parse (dbt's unit tests, the dbt server's warm-up)."""
    import duckdb

    from parity import warehouse

    path = folder / WAREHOUSE_FILE
    with duckdb.connect(str(path)) as con:
        warehouse.ensure_schema(con)
    return path


def run_unit_tests(settings) -> int:
    """dbt's unit tests alone (`make check`, `make test`; a load's build leaves them out), on an empty
    warehouse in a temporary folder: the raw and meta tables, then every seed and model with no rows
    (`--empty`), then the unit tests. Raises if one fails; returns how many passed."""
    with tempfile.TemporaryDirectory(prefix="parity-dbt-unit-") as folder:
        target = Path(folder) / "target"
        run_dbt("build", "--empty", "--exclude", "test_type:data", warehouse=empty_warehouse(Path(folder)),
                target_path=target, settings=settings)
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
        return sum(1 for r in results if r["unique_id"].startswith("unit_test.") and r["status"] == "pass")


if __name__ == "__main__":
    from parity.config import Settings

    if sys.argv[1:] == ["unit-tests"]:
        print(f"dbt unit tests: {run_unit_tests(Settings.from_env())} passed")
    else:
        # `make setup`: the manifest the Dagster code location is built from (dbt parse needs no database),
        # parsed with the variables the builds pass, so that their partial parsing can start from it
        run_dbt("parse", settings=Settings.from_env())
        print(f"prepared {DBT_PROJECT_DIR / 'target' / 'manifest.json'}")
