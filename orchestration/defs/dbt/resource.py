"""dbt's command line as a Dagster resource, without two steps dagster-dbt takes before every command
that parity never uses.

dagster-dbt 0.29 runs `dbt --version` in a child process to learn which dbt it runs (about 3 s a
command), and loads a dbt adapter with every macro of the project in the run's own process (about
4 s) only for `fetch_row_counts()` and `fetch_column_metadata()`, which parity's assets do not call.
The dbt it runs is this environment's (parity.dbt.DBT_EXECUTABLE), so its version is the installed
dbt-core's; tests/test_orchestration.py holds the two to be the same.
"""
from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version


class ParityDbtCliResource(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None  # no row counts or column metadata fetched in the run's process
