"""Which assumption moves the hole most.

- **Tornado** (one at a time): each assumption at the low and the high end of its range, every other
  at its default, the hole averaged over the seeds; bars sorted by their swing.
- **Global**: from a Morris design (`hollow sweep --sample N --design morris`), SALib's elementary
  effects (mu*, sigma, with bootstrap confidence); from a Latin hypercube, Spearman rank correlations
  of each assumption with the hole (a ranking, not a variance share).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from hollow.sweep.sampling import point_values

TARGET = "hole_at_collapse_minor"


def mean_by_point(rows: Iterable[dict[str, Any]], target: str = TARGET) -> dict[tuple[str, ...], Fraction]:
    """The exact mean of `target` over seeds, per point."""
    sums: dict[tuple[str, ...], list[int]] = {}
    for row in rows:
        sums.setdefault(tuple(json.loads(row["point"])), []).append(int(row[target]))
    return {p: Fraction(sum(v), len(v)) for p, v in sums.items()}


def tornado(base: Fraction, ends: Sequence[tuple[str, str, tuple[str, ...]]], means: Mapping[tuple[str, ...], Fraction]) -> list[dict[str, Any]]:
    """One bar per field: the mean hole at its low and high end against the base, widest swing first."""
    bars: dict[str, dict[str, Any]] = {}
    for field, end, point in ends:
        bar = bars.setdefault(field, {"field": field})
        bar[f"{end}_value"] = point_values(point)[field]
        bar[f"{end}_minor"] = round(means[point])
    for bar in bars.values():
        bar["swing_minor"] = abs(bar["high_minor"] - bar["low_minor"])
        bar["base_minor"] = round(base)
    return sorted(bars.values(), key=lambda b: (-b["swing_minor"], b["field"]))


def morris_indices(fields: Sequence[str], design: Sequence[tuple[str, ...]], means: Mapping[tuple[str, ...], Fraction], levels: int, seed: int) -> list[dict[str, Any]]:
    """SALib Morris mu*, sigma and mu*'s 95% confidence, per field, largest mu* first (in USD)."""
    from SALib.analyze import morris

    x = np.array([[point_values(p)[f] for f in fields] for p in design])
    y = np.array([float(means[p]) / 1e6 for p in design])
    problem = {"num_vars": len(fields), "names": list(fields), "bounds": [[float(x[:, i].min()), float(x[:, i].max())] for i in range(len(fields))]}
    found = morris.analyze(problem, x, y, num_levels=levels, seed=seed, print_to_console=False)
    out = [{"field": f, "mu_star_usd": float(found["mu_star"][i]), "sigma_usd": float(found["sigma"][i]),
            "mu_star_conf_usd": float(found["mu_star_conf"][i])} for i, f in enumerate(fields)]
    return sorted(out, key=lambda r: (-r["mu_star_usd"], r["field"]))


def rank_correlations(fields: Sequence[str], means: Mapping[tuple[str, ...], Fraction]) -> list[dict[str, Any]]:
    """Spearman's rho of each field with the mean hole over the sampled points, largest |rho| first."""
    points = [p for p in means if set(point_values(p)) == set(fields)]
    if len(points) < 3:
        return []
    y = _ranks([float(means[p]) for p in points])
    out = []
    for f in fields:
        x = _ranks([point_values(p)[f] for p in points])
        rho = float(np.corrcoef(x, y)[0, 1]) if x.std() and y.std() else 0.0
        out.append({"field": f, "spearman_rho": rho})
    return sorted(out, key=lambda r: (-abs(r["spearman_rho"]), r["field"]))


def _ranks(values: Sequence[float]) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return ranks


def tornado_chart(bars: Sequence[dict[str, Any]], title: str, path) -> None:
    """The tornado as a self-contained HTML file (plotly's JS inlined, no CDN)."""
    import plotly.graph_objects as go

    fields = [b["field"] for b in reversed(bars)]
    base = bars[0]["base_minor"] / 1e15 if bars else 0.0
    fig = go.Figure()
    for end, colour in (("low", "#4c78a8"), ("high", "#e45756")):
        fig.add_bar(y=fields, x=[b[f"{end}_minor"] / 1e15 - base for b in reversed(bars)], base=base, orientation="h",
                    name=f"assumption at its {end} end", marker_color=colour,
                    text=[f"{b[f'{end}_value']:g}" for b in reversed(bars)])
    fig.update_layout(title=title, barmode="overlay", xaxis_title="hole at collapse (USD bn, mean over seeds)")
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)
