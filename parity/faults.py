"""Test-only fault points: where a test places a kill -9 exactly.

A test sets PARITY_FAULT_AT to a point's name and PARITY_FAULT_FILE to a path; a process reaching
that point writes its pid into the file and waits there until it is killed. Without PARITY_FAULT_AT
(every run but those tests) a fault point does nothing.
"""
import os
import time
from pathlib import Path

POINTS = ("read", "write", "dbt", "swap")  # the file is read / the warehouse written / dbt builds / public swapped


def fault_point(name: str) -> None:
    if os.environ.get("PARITY_FAULT_AT") != name:
        return
    Path(os.environ["PARITY_FAULT_FILE"]).write_text(str(os.getpid()), encoding="utf-8")
    while True:
        time.sleep(1)
