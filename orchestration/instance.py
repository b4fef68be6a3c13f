"""The Dagster instance of parity: $PARITY_HOME/dagster, with its dagster.yaml."""
import os
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
    """Create DAGSTER_HOME (unless one is set) with parity's dagster.yaml, and point to it."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
