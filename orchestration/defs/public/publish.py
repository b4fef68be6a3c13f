"""The PostgreSQL publication of the public side, for BI tools: after every refresh of public.duckdb,
when a publishing database is configured (PARITY_PUBLISH_URL)."""
import dagster as dg

from orchestration.defs.public.assets import public_warehouse
from orchestration.resources import ParityResource
from parity.publish import ANALYST_ROLE, DEFAULT_SCHEMA, publish

PUBLISH_JOB = "publish"


class PublishTarget(dg.ConfigurableResource):
    """The database BI tools read: a postgresql:// URL (empty: the setting PARITY_PUBLISH_URL), its
    schema and the read-only role analysts are granted."""
    url: str = ""
    schema_name: str = DEFAULT_SCHEMA
    analyst_role: str = ANALYST_ROLE


@dg.asset(
    key=["publish", "postgres"],
    deps=[public_warehouse],
    group_name="public",
    description="The latest release of the public side (marts, dimensions, releases, history, revisions) copied "
                "into a PostgreSQL schema (idempotent: the same public.duckdb gives the same tables), readable by "
                "the role parity_analyst.",
)
def postgres_publication(context: dg.AssetExecutionContext, parity: ParityResource,
                         publish_target: PublishTarget) -> dg.MaterializeResult:
    settings = parity.settings()
    url = publish_target.url or settings.publish_url
    if not url:
        raise dg.Failure("no publishing database: set PARITY_PUBLISH_URL (postgresql://user@host/database)")
    result = publish(settings, url, schema=publish_target.schema_name,
                     analyst_role=publish_target.analyst_role)
    context.log.info(f"published release {result.release} into schema {result.schema}: {result.rows}")
    return dg.MaterializeResult(metadata={"schema": result.schema, "release": result.release,
                                          **{f"rows/{name}": n for name, n in result.rows.items()}})


publish_job = dg.define_asset_job(PUBLISH_JOB, selection=dg.AssetSelection.assets(postgres_publication),
                                  description="Copy the public side into the PostgreSQL publishing database.")


@dg.sensor(job_name=PUBLISH_JOB, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="When PARITY_PUBLISH_URL is set: one `publish` run (the release to PostgreSQL) per new "
                       "public.duckdb.")
def publish_after_refresh(context: dg.SensorEvaluationContext, parity: ParityResource):
    """One publish run per new materialisation of public.duckdb, when PARITY_PUBLISH_URL is set."""
    if not parity.settings().publish_url:
        return dg.SkipReason("PARITY_PUBLISH_URL is not set: nothing is published to PostgreSQL")
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=public_warehouse.key), limit=1).records
    newest = records[0].storage_id if records else 0
    if newest <= int(context.cursor or 0):
        return dg.SkipReason("public.duckdb has not changed since the last publication")
    context.update_cursor(str(newest))
    return dg.RunRequest(run_key=f"public-{newest}")
