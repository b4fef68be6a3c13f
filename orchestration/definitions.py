"""parity's code location: inbox -> raw tables (partitioned by quarter x country, each behind its quality
check) -> dbt models -> public.duckdb; alerts to focal points and engineers beside it."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.alerts.jobs import deadlines_job, send_alerts_job
from orchestration.defs.alerts.sensors import alert_outbox, deadline_watch, engineers_on_failure
from orchestration.defs.dbt.assets import warehouse_models
from orchestration.defs.dbt.project import dbt_project
from parity.dbt import DBT_EXECUTABLE
from orchestration.defs.dbt.sensors import marts_after_load
from orchestration.defs.ingest.assets import raw_tables
from orchestration.defs.ingest.schedules import quarterly_chase
from orchestration.defs.ingest.sensors import inbox_sensor
from orchestration.defs.public.assets import public_warehouse
from orchestration.jobs import ingest_job, transform_job
from orchestration.resources import ParityResource

defs = dg.Definitions(
    assets=[raw_tables, warehouse_models, public_warehouse],
    jobs=[ingest_job, transform_job, send_alerts_job, deadlines_job],
    sensors=[inbox_sensor, marts_after_load, alert_outbox, engineers_on_failure],
    schedules=[quarterly_chase, deadline_watch],
    resources={"parity": ParityResource(), "dbt": DbtCliResource(
        project_dir=dbt_project,
        dbt_executable=str(DBT_EXECUTABLE),
    )},
)
