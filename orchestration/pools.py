"""The `duckdb_warehouse` pool's slots, freed from runs whose process is gone.

Dagster frees a step's slot when the step ends; a run whose process was killed (kill -9, a crash of
the machine) never ends, and keeps its slot for good: the next run waiting for the pool would wait
forever. Every run that takes the pool says which process runs it (the `parity/process` tag: pid and
start time, so a reused pid is no match); a slot of a run that has ended, or whose process is no
longer alive on this host, is freed, and such a run is marked failed.
"""
import os
import socket
from pathlib import Path

import dagster as dg

# DuckDB allows one writer process: every step that writes the warehouse takes this pool, whose limit
# is 1 (dagster.yaml, written by orchestration/instance.py), and the warehouse lock (parity/lock.py).
DUCKDB_POOL = "duckdb_warehouse"
PROCESS_TAG = "parity/process"


def process_identity(pid: int | None = None) -> str | None:
    """host:pid:start time of a live process (None if there is none with that pid)."""
    pid = pid or os.getpid()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    started = stat.rsplit(")", 1)[1].split()[19]  # field 22: start time, in clock ticks after boot
    return f"{socket.gethostname()}:{pid}:{started}"


def is_alive(identity: str) -> bool | None:
    """Is the process this identity names alive? None when it ran on another host (cannot tell)."""
    host, pid, _ = identity.rsplit(":", 2)
    if host != socket.gethostname():
        return None
    return process_identity(int(pid)) == identity


def tag_this_process(context: dg.OpExecutionContext) -> None:
    """Mark the run as run by this process (the first step that takes the pool calls it)."""
    context.instance.add_run_tags(context.run_id, {PROCESS_TAG: process_identity()})


def free_dead_slots(instance: dg.DagsterInstance) -> list[str]:
    """Free the pool's slots and queue places held by ended runs or by dead processes; returns what was
    freed, one line a run."""
    info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
    run_ids = {slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps}
    freed = []
    for run_id in sorted(run_ids):
        run = instance.get_run_by_id(run_id)
        identity = run.tags.get(PROCESS_TAG) if run else None
        if run is None or run.is_finished:
            why = "the run has ended"
        elif identity and is_alive(identity) is False:
            why = f"its process ({identity}) is no longer alive"
            instance.report_run_failed(run, f"Marked failed by parity: {why}.")
        else:
            continue
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        freed.append(f"run {run_id}: {why}")
    return freed
