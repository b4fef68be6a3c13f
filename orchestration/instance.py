"""The Dagster instance of parity: $PARITY_HOME/dagster (or DAGSTER_HOME), with its dagster.yaml."""
import json
from pathlib import Path

from parity.config import Settings

WRITTEN_BY_PARITY = "# Written by parity (orchestration/instance.py)."

DAGSTER_YAML = WRITTEN_BY_PARITY + """
telemetry:
  enabled: false
nux:
  enabled: false
concurrency:
  pools:
    default_limit: 1   # the DuckDB warehouse takes one writer at a time
  runs:
    max_concurrent_runs: 2
# Dagster's own SQLite event log, in its usual place, with its connections kept open
# (orchestration/event_log.py says why)
event_log_storage:
  module: orchestration.event_log
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {event_log_dir}
"""


def dagster_yaml(home: Path) -> str:
    # JSON is YAML: any path is quoted correctly
    return DAGSTER_YAML.format(event_log_dir=json.dumps(str(home.resolve() / "history" / "runs")))


def prepare_dagster_home(settings: Settings) -> Path:
    """Create the Dagster home with parity's dagster.yaml and return it (for DagsterInstance.from_config,
    or as DAGSTER_HOME of a `dagster dev` process). A dagster.yaml parity wrote is brought up to date
    (a moved home, an older parity); one written by an engineer is left as it is."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config, wanted = home / "dagster.yaml", dagster_yaml(home)
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or (current != wanted and current.startswith(WRITTEN_BY_PARITY)):
        partial = config.with_suffix(".yaml.partial")
        partial.write_text(wanted, encoding="utf-8")
        partial.replace(config)  # never half a file for a `dagster dev` starting beside
    return home
