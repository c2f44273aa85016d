"""One sweep run, as a worker runs it: load the scenario with the job's overrides and seed, run the
world on the shared session cache, keep the headline as one flat row of exact integers and dates.

A pure function of (scenario, overrides, seed): whichever process or machine runs it returns the
same row, so the row file the store writes from it is the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from typing import Any

from hollow.sweep.plan import Job

HEADLINE_DATES = ("collapse_date", "hole_opened_date", "insolvent_date", "house_failed_date")
HEADLINE_MINOR = ("hole_at_collapse_minor", "hole_at_fire_sale_at_collapse_minor", "house_taken_from_customers_minor")


@cache
def _cache(directory: str):
    """One session cache per worker process and folder (its memory layer serves the next job too)."""
    from hollow.sessions.cache import SessionCache

    return SessionCache(directory)


def row_of(summary: dict[str, Any], job: Job) -> dict[str, Any]:
    """The row: key, seed, the point's overrides (JSON), the dates, the hole, the house's losses by
    bucket (`loss_<bucket>_minor`) and the run's withdrawals by holder class (`run_out_<class>_minor`)."""
    row: dict[str, Any] = {"key": job.key, "seed": job.seed, "point": json.dumps(list(job.point))}
    for name in HEADLINE_DATES:
        value = summary.get(name)
        row[name] = None if value is None else dt.date.fromisoformat(value)
    for name in HEADLINE_MINOR:
        row[name] = int(summary[name])
    for bucket, amount in sorted(summary["house_losses_by_bucket_minor"].items()):
        row[f"loss_{bucket}_minor"] = int(amount)
    for holder, amount in sorted(summary["run_withdrawals_by_class_minor"].items()):
        row[f"run_out_{holder}_minor"] = int(amount)
    return row


def run_job(scenario: str, job: Job, cache_dir: str) -> dict[str, Any]:
    """Run one job (in a worker) and return its row."""
    from hollow.world import outputs
    from hollow.world.load import load_scenario
    from hollow.world.timeline import run_world

    s = load_scenario(scenario, job.sets).scenario.model_copy(update={"seed": job.seed})
    return row_of(outputs.summary(run_world(s, _cache(cache_dir))), job)
