"""parity's code location: inbox -> raw tables (partitioned by quarter x country) -> dbt models -> public.duckdb."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.dbt.assets import warehouse_models
from orchestration.defs.dbt.project import DBT_EXECUTABLE, dbt_project
from orchestration.defs.dbt.sensors import marts_after_load
from orchestration.defs.ingest.assets import raw_tables
from orchestration.defs.ingest.schedules import quarterly_chase
from orchestration.defs.ingest.sensors import inbox_sensor
from orchestration.defs.public.assets import public_warehouse
from orchestration.jobs import ingest_job, transform_job
from orchestration.resources import ParityResource

defs = dg.Definitions(
    assets=[raw_tables, warehouse_models, public_warehouse],
    jobs=[ingest_job, transform_job],
    sensors=[inbox_sensor, marts_after_load],
    schedules=[quarterly_chase],
    resources={"parity": ParityResource(), "dbt": DbtCliResource(
        project_dir=dbt_project,
        dbt_executable=str(DBT_EXECUTABLE),
    )},
)
