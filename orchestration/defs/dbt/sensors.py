"""The marts follow the loads: after any raw partition is materialised, one `transform` run."""
import dagster as dg
import duckdb

from orchestration.defs.ingest.assets import raw_tables
from orchestration.pools import free_dead_slots
from orchestration.resources import ParityResource
from parity import warehouse
from parity.lock import WarehouseBusy

TRANSFORM_JOB = "transform"


def newest_raw_materialization(instance: dg.DagsterInstance) -> int:
    """The storage id of the newest materialisation of any raw table (0 if none)."""
    newest = 0
    for key in raw_tables.keys:
        records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key), limit=1).records
        newest = max([newest, *(r.storage_id for r in records)])
    return newest


def stale_layers(settings) -> list[str] | None:
    """The derived layers older than the raw data; None when the warehouse is busy or absent."""
    if not settings.warehouse.exists():
        return None
    try:
        with warehouse.connect(settings.warehouse, read_only=True, wait=0) as con:
            return warehouse.stale_layers(con, settings.public_warehouse.exists())
    except (WarehouseBusy, duckdb.CatalogException):  # busy, or no registry yet
        return None


_IN_PROGRESS = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
                dg.DagsterRunStatus.STARTED]


def transform_in_progress(instance: dg.DagsterInstance) -> bool:
    return bool(instance.get_run_ids(dg.RunsFilter(job_name=TRANSFORM_JOB, statuses=_IN_PROGRESS), limit=1))


@dg.sensor(job_name=TRANSFORM_JOB, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="One dbt build (and public.duckdb) after new raw partitions, or whenever the marts or "
                       "public.duckdb are older than the raw data; the partitioned models decide themselves "
                       "which partitions need rebuilding.")
def marts_after_load(context: dg.SensorEvaluationContext, parity: ParityResource):
    # Not declarative automation: a dbt model depends on partitions of several quarters and on
    # seeds and the registry, which automation conditions cannot follow as a whole; one full
    # `dbt build` is cheap when nothing changed (see docs/decisions.md).
    newest = newest_raw_materialization(context.instance)
    if newest > int(context.cursor or 0):
        context.update_cursor(str(newest))
        return dg.RunRequest(run_key=f"after-{newest}")
    # a build that failed or was killed, a lock error, a failed swap: catch up once nothing runs
    for line in free_dead_slots(context.instance):  # a killed run would otherwise look in progress for good
        context.log.warning(f"freed a pool slot: {line}")
    stale = stale_layers(parity.settings())
    if stale and not transform_in_progress(context.instance):
        return dg.RunRequest(tags={"parity/trigger": "stale"})
    return dg.SkipReason(f"{' and '.join(stale)} stale; a transform run is on its way" if stale else
                         "no raw partition materialised since the last transform request, nothing stale")
