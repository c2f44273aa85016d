"""Points drawn from a scenario's assumption ranges: a seeded Latin hypercube (bands, global indices)
and the one-at-a-time ends (the tornado). Values are rounded to 6 significant digits and to the ppm
(integers stay integers), so a point is a short, exact `--set` and the same seed always draws the same points."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

Ranges = Mapping[str, tuple[float, float]]


def _value(low: float, high: float, u: float) -> str:
    x = low + (high - low) * u
    if isinstance(low, int) and isinstance(high, int):
        return str(round(x))
    return repr(round(float(f"{x:.6g}"), 6))  # and to the ppm: fractions of money are exact to 1e-6


def latin_hypercube(ranges: Ranges, n: int, seed: int) -> list[tuple[str, ...]]:
    """`n` points: each field's range cut into `n` equal strata, one draw in each, strata shuffled
    independently per field (numpy's PCG64 from `seed`)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    fields = sorted(ranges)
    columns = []
    for _ in fields:
        u = (np.arange(n) + rng.random(n)) / n
        columns.append(u[rng.permutation(n)])
    return [tuple(f"{f}={_value(*ranges[f], float(col[i]))}" for f, col in zip(fields, columns)) for i in range(n)]


def one_at_a_time(ranges: Ranges) -> list[tuple[str, str, tuple[str, ...]]]:
    """(field, 'low' | 'high', point) for each end of each range, every other field at its default."""
    return [(f, end, (f"{f}={_value(*ranges[f], u)}",)) for f in sorted(ranges) for end, u in (("low", 0.0), ("high", 1.0))]


def point_values(point: tuple[str, ...]) -> dict[str, float]:
    """{field: value} of a sampled point (numbers only)."""
    out = {}
    for item in point:
        field, _, value = item.partition("=")
        out[field] = float(value)
    return out


def morris(ranges: Ranges, trajectories: int, seed: int, levels: int = 4) -> list[tuple[str, ...]]:
    """SALib's Morris design: `trajectories` x (fields + 1) points, one field changing per step."""
    from SALib.sample import morris as morris_sample

    fields = sorted(ranges)
    problem = {"num_vars": len(fields), "names": fields, "bounds": [[0.0, 1.0]] * len(fields)}
    unit = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    return [tuple(f"{f}={_value(*ranges[f], float(u))}" for f, u in zip(fields, row)) for row in unit]
