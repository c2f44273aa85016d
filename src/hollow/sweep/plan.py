"""What a sweep runs: a list of (overrides, seed) jobs, every one checked before anything runs.

`--seeds 1-20` (or `1,3,5` or `4`), `--grid FIELD=V1,V2` (repeatable: the grids multiply), and
`--sample N` (a Latin hypercube over the scenario's `[ranges]`, seeded) all become `--set` overrides,
so a grid point is validated by the same rules as `hollow run --set` (an unknown field or a wrong
type is one ScenarioError). Each job has its own explicit seed and a key that names it on disk.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass

from hollow.errors import ScenarioError
from hollow.io.bounds import MAX_MAGNITUDE
from hollow.world.load import LoadedScenario, load_scenario

MAX_RUNS = 1_000_000


@dataclass(frozen=True)
class Job:
    """One run: the scenario's reference, the overrides (base `--set`s, then the point's) and the seed."""

    key: str
    sets: tuple[str, ...]
    point: tuple[str, ...]  # the point's own overrides (grid or sample), for the row
    seed: int


def job_key(point: Sequence[str], seed: int) -> str:
    """A short stable name for (point, seed): the same run always lands in the same row file."""
    blob = json.dumps({"point": list(point), "seed": seed}, separators=(",", ":"))
    return f"s{seed}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def parse_seeds(text: str) -> list[int]:
    """`1-20`, `1,3,5`, `4`, or a mix (`1-3,9`); refuses an empty or reversed range."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        lo, dash, hi = part.partition("-")
        try:
            a, b = (int(lo), int(hi)) if dash else (int(part), int(part))
        except ValueError:
            raise ScenarioError("--seeds", text or "''", "expected seeds like 1-20, 1,3,5 or 4") from None
        if b < a:
            raise ScenarioError("--seeds", text, f"the range {part} is empty")
        if a < 0 or b > MAX_MAGNITUDE:
            raise ScenarioError("--seeds", text, f"seeds must be between 0 and {MAX_MAGNITUDE}")
        if b - a >= MAX_RUNS:
            raise ScenarioError("--seeds", text, f"more than {MAX_RUNS:,} seeds")
        seeds.extend(range(a, b + 1))
    unique = list(dict.fromkeys(seeds))
    if not unique:
        raise ScenarioError("--seeds", text or "''", "no seeds")
    return unique


def parse_grid(grids: Sequence[str]) -> list[tuple[str, ...]]:
    """`FIELD=V1,V2` per axis -> every combination, as tuples of `FIELD=V` overrides."""
    axes: list[list[str]] = []
    seen: set[str] = set()
    for text in grids:
        field, sep, values = text.partition("=")
        field = field.strip()
        if not sep or not field:
            raise ScenarioError("--grid", text or "''", "expected FIELD=V1,V2,..., e.g. house.liquidity_floor=0.1,0.2")
        if field in seen:
            raise ScenarioError("--grid", text, f"{field} is given twice; put all its values in one --grid")
        seen.add(field)
        items = [v.strip() for v in values.split(",")]
        if any(not v for v in items):
            raise ScenarioError("--grid", text, "an empty value (two commas, or a trailing comma)")
        if len(set(items)) != len(items):
            raise ScenarioError("--grid", text, "a value is repeated")
        axes.append([f"{field}={v}" for v in items])
    return [tuple(c) for c in itertools.product(*axes)]


def build_jobs(scenario: str, base_sets: Sequence[str], points: Sequence[tuple[str, ...]], seeds: Sequence[int]) -> list[Job]:
    """Every (point, seed) job; each point is loaded (and so validated) once before anything runs."""
    if len(points) * len(seeds) > MAX_RUNS:
        raise ScenarioError("--grid", f"{len(points)} points x {len(seeds)} seeds", f"more than {MAX_RUNS:,} runs")
    for point in points:
        load_scenario(scenario, [*base_sets, *point])
    jobs = {job_key(p, seed): Job(job_key(p, seed), (*base_sets, *p), p, seed) for p in points for seed in seeds}
    return list(jobs.values())  # a point drawn twice (a Morris design can) runs once


def check_ranges(loaded: LoadedScenario) -> dict[str, tuple[float, float]]:
    """The scenario's `[ranges]`, each a real field with low < high (refused by name otherwise)."""
    from hollow.world import overrides
    from hollow.world.scenario import Scenario

    out = {}
    for field, (low, high) in loaded.scenario.ranges.items():
        path = tuple(int(p) if p.isdigit() else p for p in field.split("."))
        try:
            overrides.check_path(Scenario, path, field)
        except ScenarioError as exc:
            raise ScenarioError(loaded.source, f"ranges.{field}", exc.reason) from None
        if not low < high:
            raise ScenarioError(loaded.source, f"ranges.{field}", f"low {low} must be below high {high}")
        out[field] = (low, high)
    if not out:
        raise ScenarioError(loaded.source, "ranges", "the scenario gives no [ranges] to sample (field = [low, high])")
    return out
