"""The marts follow the loads: after any raw partition is materialised, one `transform` run."""
import dagster as dg

from orchestration.defs.ingest.assets import raw_tables

TRANSFORM_JOB = "transform"


def newest_raw_materialization(instance: dg.DagsterInstance) -> int:
    """The storage id of the newest materialisation of any raw table (0 if none)."""
    newest = 0
    for key in raw_tables.keys:
        records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key), limit=1).records
        newest = max([newest, *(r.storage_id for r in records)])
    return newest


@dg.sensor(job_name=TRANSFORM_JOB, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="One dbt build (and public.duckdb) after new raw partitions; the partitioned models "
                       "decide themselves which partitions need rebuilding.")
def marts_after_load(context: dg.SensorEvaluationContext):
    # Not declarative automation: a dbt model depends on partitions of several quarters and on
    # seeds and the registry, which automation conditions cannot follow as a whole; one full
    # `dbt build` is cheap when nothing changed (see docs/decisions.md).
    newest = newest_raw_materialization(context.instance)
    if newest <= int(context.cursor or 0):
        return dg.SkipReason("no raw partition materialised since the last transform request")
    context.update_cursor(str(newest))
    return dg.RunRequest(run_key=f"after-{newest}")
