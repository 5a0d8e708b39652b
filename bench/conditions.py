"""How busy the machine was while a run ran: its 1-minute load average and the process's CPU time, snapshotted at the
start and the end of an invocation (meta.json keeps both per invocation; report.md shows them). A loaded machine
shows a high load and less CPU time per wall second than the run's threads could use."""
from __future__ import annotations

import os
import time


def conditions() -> dict:
    """Now: the machine's 1-minute load average (None where the system has none) and this process's CPU seconds,
    user and system, and the wall clock."""
    times = os.times()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = None
    return {"load_1min": load, "cpu_user_s": times.user, "cpu_sys_s": times.system, "wall": time.time()}


def during(start: dict, end: dict) -> dict:
    """An invocation's conditions from its start and end snapshots: the load at each, the CPU seconds it used (user
    + system) and the wall seconds between: a loaded machine shows a high load and less CPU per wall second."""
    user, system = end["cpu_user_s"] - start["cpu_user_s"], end["cpu_sys_s"] - start["cpu_sys_s"]
    return {"load_1min_start": start["load_1min"], "load_1min_end": end["load_1min"], "cpu_user_s": round(user, 3),
            "cpu_sys_s": round(system, 3), "cpu_s": round(user + system, 3),
            "wall_s": round(end["wall"] - start["wall"], 3)}
