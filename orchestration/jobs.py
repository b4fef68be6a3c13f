"""Jobs: `ingest` loads one (quarter, country) partition; `transform` runs the dbt build, the suppression
with its audit, refreshes public.duckdb and the timeliness overview (what a load changed in it)."""
import dagster as dg

from orchestration.defs.alerts.assets import timeliness
from orchestration.defs.dbt.assets import warehouse_models
from orchestration.defs.dbt.sensors import TRANSFORM_JOB
from orchestration.defs.ingest.assets import raw_tables
from orchestration.defs.ingest.sensors import INGEST_JOB
from orchestration.defs.public.assets import public_warehouse
from orchestration.defs.publication.assets import suppression
from orchestration.partitions import submission_partitions

ingest_job = dg.define_asset_job(INGEST_JOB, selection=dg.AssetSelection.assets(raw_tables),
                                 partitions_def=submission_partitions,
                                 description="Receive the new files of one (quarter, country) submission.")
transform_job = dg.define_asset_job(
    TRANSFORM_JOB, selection=dg.AssetSelection.assets(warehouse_models, suppression, public_warehouse, timeliness),
    description="dbt build (staging, intermediate, marts, with their tests), the secondary suppression and its "
                "disclosure audit, then public.duckdb for the analysts; the timeliness overview refreshed.")
