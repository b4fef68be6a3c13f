"""The Dagster instance of parity: $PARITY_HOME/dagster (or DAGSTER_HOME), with its dagster.yaml."""
from pathlib import Path

from parity.config import Settings

DAGSTER_YAML = """\
# Written by parity (orchestration/instance.py).
telemetry:
  enabled: false
nux:
  enabled: false
concurrency:
  pools:
    default_limit: 1   # the DuckDB warehouse takes one writer at a time
  runs:
    max_concurrent_runs: 2
"""


def prepare_dagster_home(settings: Settings) -> Path:
    """Create the Dagster home with parity's dagster.yaml unless it has one; returns it (for
    DagsterInstance.from_config, or as DAGSTER_HOME of a `dagster dev` process)."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home
