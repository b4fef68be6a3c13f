"""parity's code location: inbox -> raw tables (partitioned by quarter x country, each behind its quality
check) -> dbt models -> public.duckdb -> quarterly reports and the PostgreSQL publication; alerts to
focal points and engineers beside it; backups and the retention of clear data."""

import dagster as dg

from orchestration.defs.alerts.assets import deadline_notices, timeliness
from orchestration.defs.alerts.jobs import deadlines_job, send_alerts_job
from orchestration.defs.alerts.sensors import alert_outbox, deadline_watch, engineers_on_failure
from orchestration.defs.dbt.assets import warehouse_models
from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.dbt.resource import ParityDbtCliResource
from orchestration.defs.dbt.sensors import marts_after_load
from orchestration.defs.ingest.assets import REGISTRY_SPECS, raw_tables
from orchestration.defs.ingest.schedules import quarterly_chase
from orchestration.defs.ingest.sensors import inbox_sensor
from orchestration.defs.operations.jobs import backup_job, retention_job
from orchestration.defs.operations.schedules import daily_retention, nightly_backup
from orchestration.defs.public.assets import public_warehouse
from orchestration.defs.public.publish import PublishTarget, postgres_publication, publish_after_refresh, publish_job
from orchestration.defs.publication.assets import DECISION_SPEC, suppression
from orchestration.defs.reports.assets import quarterly_reports, reports_job
from orchestration.defs.reports.sensors import reports_when_changed
from orchestration.jobs import ingest_job, transform_job
from orchestration.resources import ParityResource
from parity.dbt import DBT_COMMAND

defs = dg.Definitions(
    assets=[raw_tables, *REGISTRY_SPECS, warehouse_models, suppression, DECISION_SPEC, public_warehouse,
            quarterly_reports, postgres_publication, timeliness, deadline_notices],
    jobs=[ingest_job, transform_job, send_alerts_job, deadlines_job, reports_job, publish_job, backup_job,
          retention_job],
    sensors=[inbox_sensor, marts_after_load, alert_outbox, engineers_on_failure, reports_when_changed,
             publish_after_refresh],
    schedules=[quarterly_chase, deadline_watch, nightly_backup, daily_retention],
    resources={"parity": ParityResource(), "dbt": ParityDbtCliResource(
        project_dir=dbt_project,
        dbt_executable=str(DBT_COMMAND),
    ), "publish_target": PublishTarget()},
)
