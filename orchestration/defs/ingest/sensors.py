"""The inbox sensor: a file lands, a run starts for exactly its (quarter, country) partition.

A file whose exact content the warehouse's registry already holds as the last received under its
name (whoever loaded it: `parity load`, the demo, an earlier run) requests nothing: a fresh cursor,
such as the first tick after `make demo`, starts no run for what is loaded already."""
import hashlib
import json
import time

import dagster as dg

from orchestration.partitions import QUARTER_KEYS, partition_key
from orchestration.resources import ParityResource
from parity.ingest import file_sha256, received_contents, refused_line, scan_inboxes
from parity.lock import WarehouseBusy

INGEST_JOB = "ingest"


def scan_inbox(settings, cursor: dict, now: float) -> tuple[dict[tuple[str, str], list[str]], list[str], dict]:
    """Which partitions have new or changed settled files.

    The cursor remembers (size, mtime, sha256) of each file already requested, and the names
    already warned about. A file is taken once it has not changed for settle_seconds; a file
    only touched (same content) requests nothing."""
    files, warned = dict(cursor.get("files", {})), set(cursor.get("warned", []))
    changed: dict[tuple[str, str], list[str]] = {}
    warnings = []
    scan = scan_inboxes(settings, now)  # files still being written wait silently for the next tick
    registry, registry_read = None, False  # read once a file needs it
    for country, names in scan.ready.items():
        for name in names:
            path, rel = name.path, f"{country}/{name.path.name}"
            stat = path.lstat()
            previous = files.get(rel)
            if previous and previous[:2] == [stat.st_size, stat.st_mtime_ns]:
                continue
            try:
                sha = file_sha256(path)
            except OSError:  # gone or replaced by a link since it was listed: the next tick sees it
                continue
            if previous is None:
                if not registry_read:
                    registry, registry_read = _registry(settings), True
                if registry is None:
                    continue  # the warehouse is busy: not decided, the next tick looks again
                if registry.get((country, path.name)) == sha:
                    files[rel] = [stat.st_size, stat.st_mtime_ns, sha]
                    continue  # loaded already
            files[rel] = [stat.st_size, stat.st_mtime_ns, sha]
            if previous and previous[2] == sha:
                continue
            if name.period not in QUARTER_KEYS:
                warnings.append(f"{rel}: quarter {name.period} is outside the partitions of this code location")
                continue
            changed.setdefault((country, name.period), []).append(sha)
    for path, why in scan.refused:  # each told once to the engineers (the sensor's log), never to a focal point
        line = refused_line(settings, path, why)
        if line not in warned:
            warned.add(line)
            warnings.append(f"not taken: {line}")
    return changed, warnings, {"files": files, "warned": sorted(warned)}


def _registry(settings) -> dict[tuple[str, str], str] | None:
    """received_contents, or None when a writer holds the warehouse longer than a tick should wait."""
    try:
        return received_contents(settings, wait=min(settings.busy_wait, 5))
    except WarehouseBusy:
        return None


def run_key(country: str, period: str, shas: list[str]) -> str:
    """The same content of a partition never requests a second run."""
    return f"{country}|{period}|" + hashlib.sha256("".join(sorted(shas)).encode()).hexdigest()[:16]


@dg.sensor(job_name=INGEST_JOB, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="A settled new or changed file in a country's inbox starts an `ingest` run of its (quarter, "
                       "country) partition; files the warehouse received already (by any load) start nothing.")
def inbox_sensor(context: dg.SensorEvaluationContext, parity: ParityResource):
    settings = parity.settings()
    changed, warnings, cursor = scan_inbox(settings, json.loads(context.cursor or "{}"), time.time())
    for warning in warnings:
        context.log.warning(warning)
    requests = [
        dg.RunRequest(run_key=run_key(country, period, shas), partition_key=partition_key(country, period),
                      tags={"parity/country": country, "parity/period": period, "parity/trigger": "inbox"})
        for (country, period), shas in sorted(changed.items())
    ]
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursor),
                           skip_reason=None if requests else "no new settled files in the inboxes")
