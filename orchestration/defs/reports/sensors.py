"""Reports follow their data: a report is rebuilt when what it shows changed (a correction, a late
delivery, a deadline that passed), and only then."""
import json

import dagster as dg
import duckdb

from orchestration.defs.reports.assets import REPORT_ASSET, REPORTS_JOB, report_partition_key
from orchestration.resources import ParityResource
from parity.config import Config
from parity.regions import areas
from parity.reports.data import load_report_data, quarters_with_data

CHECK_SECONDS = 600


def report_fingerprints(settings, config: Config) -> dict[str, str]:
    """{'<area>|<quarter>': fingerprint} of every report that has data to show."""
    fingerprints = {}
    for period in quarters_with_data(settings):
        for area in areas():
            data = load_report_data(settings, config, area, period)
            if data.has_data():
                fingerprints[f"{area}|{period}"] = data.fingerprint()
    return fingerprints


def written_fingerprints(instance: dg.DagsterInstance, keys: list[str]) -> dict[str, str]:
    """{'<area>|<quarter>': fingerprint} of the latest materialisation of each report of `keys` that has one."""
    if not keys:
        return {}
    found, cursor, wanted = {}, None, dg.AssetRecordsFilter(REPORT_ASSET, asset_partitions=keys)
    while True:  # newest first, in pages, until each report's latest is found
        page = instance.fetch_materializations(wanted, limit=1_000, cursor=cursor)
        for record in page.records:
            materialization = record.asset_materialization
            if materialization and materialization.partition and "fingerprint" in materialization.metadata:
                found.setdefault(materialization.partition, materialization.metadata["fingerprint"].value)
        if not page.has_more or len(found) == len(keys):
            return found
        cursor = page.cursor


@dg.sensor(job_name=REPORTS_JOB, minimum_interval_seconds=CHECK_SECONDS, default_status=dg.DefaultSensorStatus.RUNNING,
           description="A `reports` run for each (area, quarter) whose report would change (its data, release or "
                       "definitions: the report's fingerprint), unless it was written with that fingerprint already.")
def reports_when_changed(context: dg.SensorEvaluationContext, parity: ParityResource):
    """Compare each report's fingerprint with the one it was last requested for (the cursor) and the
    one it was last written with (its latest materialisation, whoever ran it: the demo, a backfill)."""
    settings = parity.settings()
    try:
        current = report_fingerprints(settings, settings.config())
    except duckdb.IOException:
        return dg.SkipReason("the warehouse is busy (a run is writing it): trying again at the next tick")
    requested = json.loads(context.cursor or "{}")
    # the instance is asked only about the reports the cursor has not requested with this fingerprint
    unrequested = sorted(key for key, fingerprint in current.items() if requested.get(key) != fingerprint)
    written = written_fingerprints(context.instance, unrequested)
    changed = [key for key in unrequested if written.get(key) != current[key]]
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not changed:
        return dg.SkipReason(f"{len(current)} reports up to date")
    return [dg.RunRequest(run_key=f"{key}|{current[key][:16]}", partition_key=report_partition_key(*key.split("|")))
            for key in changed]
