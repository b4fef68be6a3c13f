"""dbt models as assets; dbt tests appear as their asset checks."""
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.defs.dbt.project import dbt_project, prepared_manifest
from orchestration.pools import DUCKDB_POOL, tag_this_process
from orchestration.resources import ParityResource
from parity import warehouse
from parity.dbt import dbt_vars, duckdb_output, generated_profile, process_environment, reference_fingerprint
from parity.faults import fault_point

# What a load's build leaves out. dbt's unit tests check the SQL on fixed inputs, not the data: they
# run in `make check` and `make test`, on every change of a model, not again with each load (about
# 3 s of each build). dbt's log file keeps what it says at info level; debug (every query and
# event, about 1 s of each build) is for a developer running dbt by hand. No manifest.json and
# run_results.json in the home's target (about 0.6 s of each build): Dagster reads the prepared
# manifest and dbt's events, the run keeps every node's result, and dbt's partial parse is written
# all the same.
PRODUCTION_BUILD = ["--exclude", "resource_type:unit_test", "--log-level-file", "info", "--no-write-json"]
# What a whole build leaves out when the warehouse's reference tables were loaded from the seed files
# as they are (meta.reference_data, parity.dbt.reference_fingerprint): the seeds, and the data tests
# that read nothing but seeds. Loading unchanged files again and testing them again found nothing new
# at every build (16 of its 82 nodes, about 0.7 s). "cautious": a test is left out only when every
# node it reads is, so the staging tests that read a seed beside a model still run.
REFERENCE_CURRENT = ["--exclude", "resource_type:seed", "--indirect-selection", "cautious"]


class ParityDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # models/<layer>/...: the layer (staging, intermediate, marts) is the group; seeds are reference data
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if dbt_resource_props["resource_type"] == "model" and len(fqn) > 2 else "reference"


@dbt_assets(manifest=prepared_manifest(), project=dbt_project, dagster_dbt_translator=ParityDbtTranslator(),
            pool=DUCKDB_POOL)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, parity: ParityResource):
    tag_this_process(context)
    settings = parity.settings()
    # dbt's settings are this run's: a profile written for it, the variables that are settings, and its
    # artefacts under the home, never into the project (one folder: builds take turns on the lock, and
    # its partial_parse.msgpack spares the next build a full parse)
    target_path = settings.home / "dbt" / "target"
    output, environment = duckdb_output(settings.warehouse, settings.build_memory_mb)
    # a subset (some models materialised from the UI) is dagster-dbt's selection alone
    whole = (context.selected_asset_keys == context.assets_def.keys
             and context.selected_asset_check_keys == context.assets_def.check_keys)
    reference = reference_fingerprint(dbt_project.project_dir)
    with warehouse.locked(settings, "dbt build"), generated_profile(output) as profiles:
        # wait (bounded) for a reader that holds the file open, rather than let dbt fail on it at once
        with warehouse.connect(settings.warehouse, wait=settings.busy_wait) as con:
            state = warehouse.raw_state(con)
            current = whole and warehouse.reference_loaded(con) == reference
        if current:
            context.log.info("the reference tables hold the seed files as they are: not loaded again")
        with process_environment(environment):  # dbt starts here, with a copy of this environment
            build = dbt.cli(["build", *PRODUCTION_BUILD, *(REFERENCE_CURRENT if current else []),
                             "--profiles-dir", str(profiles), *dbt_vars(settings)],
                            context=context, target_path=target_path)
        for event in build.stream():
            fault_point("dbt")
            yield event
        # reached only when the whole build passed: the marts now show this state of the raw data, and
        # the reference tables (loaded by this build, or current before it) these seed files
        with warehouse.connect(settings.warehouse, wait=settings.busy_wait) as con:
            warehouse.record_build(con, "marts", state)
            if whole:
                warehouse.record_reference(con, reference)
