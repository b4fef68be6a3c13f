"""dbt models as assets; dbt tests appear as their asset checks."""
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.defs.dbt.project import dbt_project, ensure_manifest
from orchestration.defs.ingest.assets import DUCKDB_POOL
from orchestration.resources import ParityResource


class ParityDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # models/<layer>/...: the layer (staging, intermediate, marts) is the group; seeds are reference data
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if dbt_resource_props["resource_type"] == "model" and len(fqn) > 2 else "reference"


@dbt_assets(manifest=ensure_manifest(), project=dbt_project, dagster_dbt_translator=ParityDbtTranslator(),
            pool=DUCKDB_POOL)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, parity: ParityResource):
    # profiles.yml reads the warehouse path from the environment, which the dbt process inherits
    os.environ["PARITY_WAREHOUSE"] = str(parity.settings().warehouse)
    yield from dbt.cli(["build"], context=context).stream()
