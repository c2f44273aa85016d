"""The report's charts: each a plotly figure (plain dicts) and the table behind it (for the CSV).

Amounts are exact integers in the tables; the figures show them in USD millions (floats, display only).
Every string that comes from the scenario is escaped here, because plotly reads a few HTML tags in text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from hollow.analysis import markouts, reserves, warnings
from hollow.analysis.flows import RULES, HoleFlows
from hollow.analysis.run import RunTables

M = 1e12  # USD minor units (micro-dollars) per USD million


@dataclass
class Chart:
    id: str
    title: str
    figure: dict
    columns: list[str]
    rows: list[list]


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _layout(title: str, **extra: object) -> dict:
    return {"title": {"text": esc(title)}, "height": 420, "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
            "legend": {"orientation": "h"}, **extra}


def losses(run: RunTables) -> Chart:
    buckets = {k: v for k, v in run.summary["house_losses_by_bucket_minor"].items() if k != "total"}
    rows = [[k, v] for k, v in buckets.items()]
    fig = {"data": [{"type": "bar", "x": [esc(k) for k in buckets], "y": [v / M for v in buckets.values()]}],
           "layout": _layout("The house's losses by bucket at collapse (USD M)")}
    return Chart("losses", "House losses by bucket", fig, ["bucket", "loss_minor"], rows)


def solvency(run: RunTables) -> Chart:
    cols = ["customer_liabilities_minor", "custody_minor", "liquid_custody_minor", "hole_minor", "hole_at_fire_sale_minor"]
    rows = [list(r) for r in run.rows(f"select date, {', '.join(cols)} from daily order by date")]
    dates = [r[0].isoformat() for r in rows]
    data = [{"type": "scatter", "mode": "lines", "name": c.removesuffix("_minor").replace("_", " "), "x": dates,
             "y": [r[i + 1] / M for r in rows]} for i, c in enumerate(cols)]
    return Chart("solvency", "The solvency gap over time", {"data": data, "layout": _layout("Claims, custody and the hole (USD M)")},
                 ["date", *cols], [[r[0].isoformat(), *r[1:]] for r in rows])


def sankey(flows: HoleFlows) -> Chart:
    totals = flows.totals(RULES[0])
    pos = sorted(((k, v) for k, v in totals.items() if v > 0), key=lambda kv: -kv[1])
    causes = sorted({c for (_, c), _ in pos})
    holders = sorted({h for (h, _), _ in pos})
    labels = ["the hole"] + [f"via {c}" for c in causes] + [f"to {h}" for h in holders]
    cause_amount = {c: sum(v for (_, cc), v in pos if cc == c) for c in causes}
    src = [0] * len(causes) + [1 + causes.index(c) for (_, c), _ in pos]
    dst = [1 + i for i in range(len(causes))] + [1 + len(causes) + holders.index(h) for (h, _), _ in pos]
    val = [cause_amount[c] / M for c in causes] + [v / M for _, v in pos]
    fig = {"data": [{"type": "sankey", "node": {"label": [esc(x) for x in labels], "pad": 12},
                     "link": {"source": src, "target": dst, "value": val}}],
           "layout": _layout(f"Where the money went (pro rata tracing; offsets such as fees and the house's own token "
                             f"in custody are in the table) on {flows.date}")}
    rows = [[rule, h, c, y, v] for rule in RULES for (h, c, y), v in sorted(flows.rows[rule].items()) if v]
    return Chart("sankey", "Where the money went", fig, ["rule", "holder_class", "cause", "year", "amount_minor"], rows)


def tracing(flows: HoleFlows) -> Chart:
    keys = sorted({k for r in RULES for k in flows.totals(r)}, key=lambda k: -abs(flows.totals(RULES[0]).get(k, 0)))
    names = [esc(f"{h} / {c}") for h, c in keys]
    data = [{"type": "bar", "name": r.replace("_", " "), "x": names, "y": [flows.totals(r).get(k, 0) / M for k in keys]} for r in RULES]
    rows = [[h, c, *(flows.totals(r).get((h, c), 0) for r in RULES)] for h, c in keys]
    return Chart("tracing", "Sources to uses under two tracing rules", {"data": data, "layout": _layout(
        f"The hole of {flows.hole_minor / M:,.1f}M by holder and cause, pro rata vs lowest intermediate balance (USD M)",
        barmode="group")}, ["holder_class", "cause", *RULES], rows)


def assets_claims(run: RunTables, flows: HoleFlows) -> Chart:
    r = run.rows("""select liquid_custody_minor, custody_minor - liquid_custody_minor, house_ventures_at_cost_minor,
                           house_insider_loans_minor, customer_liabilities_minor, lenders_owed_minor from daily where date = ?""",
                 [flows.date])[0]
    names = ["liquid custody", "illiquid custody", "house ventures at cost", "house insider loans", "customer claims", "lenders' claims"]
    kind = ["asset", "asset", "asset (house)", "asset (house)", "claim", "claim"]
    fig = {"data": [{"type": "bar", "x": names, "y": [v / M for v in r], "marker": {"color": ["#2a9d8f", "#8ab17d", "#e9c46a",
                                                                                              "#f4a261", "#e76f51", "#9d4edd"]}}],
           "layout": _layout(f"Assets, liquid and illiquid, against claims at the collapse, {flows.date} (USD M)")}
    return Chart("assets", "Assets against claims at the collapse", fig, ["item", "kind", "amount_minor"],
                 [[n, k, v] for n, k, v in zip(names, kind, r, strict=True)])


def pnl_by_class(run: RunTables) -> Chart:
    rows = run.rows("""select date_trunc('month', make_timestamp((ts_ns // 1000)::bigint))::date m, counterparty_class,
                              sum(case when to_account = 'house:exchange' then amount_minor else -amount_minor end)::hugeint
                       from ledger where cause = 'realised_pnl' and (to_account = 'house:exchange' or from_account = 'house:exchange')
                       group by all order by all""")
    classes = sorted({c for _, c, _ in rows})
    months = sorted({m for m, _, _ in rows})
    cum: dict[str, list[float]] = {}
    for c in classes:
        by = {m: int(v) for m, cc, v in rows if cc == c}
        acc, series = 0, []
        for m in months:
            acc += by.get(m, 0)
            series.append(acc / M)
        cum[c] = series
    data = [{"type": "scatter", "mode": "lines", "name": esc(c), "x": [m.isoformat() for m in months], "y": cum[c]} for c in classes]
    return Chart("pnl", "The house's PnL by counterparty class", {"data": data, "layout": _layout(
        "The house's cumulative realised PnL against each class (USD M)")}, ["month", "counterparty_class", "pnl_minor"],
        [[m.isoformat(), c, int(v)] for m, c, v in rows])


def markout(run: RunTables) -> Chart:
    rows = markouts.by_class_and_year(run)
    house = markouts.house_by_year(run)
    classes = sorted({r["taker_class"] for r in rows})
    data = [{"type": "scatter", "mode": "lines+markers", "name": f"{esc(c)} takes from the house",
             "x": [r["year"] for r in rows if r["taker_class"] == c], "y": [r["usd_per_million"] for r in rows if r["taker_class"] == c]}
            for c in classes]
    for key, name in (("spread_per_million", "house spread"), ("adverse_per_million", "house adverse selection")):
        data.append({"type": "bar", "name": name, "x": [h["year"] for h in house], "y": [h[key] for h in house], "opacity": 0.5})
    out = [["taker", r["year"], r["taker_class"], r["usd_per_million"]] for r in rows]
    out += [["house", h["year"], k, h[k]] for h in house for k in ("trading_per_million", "spread_per_million", "adverse_per_million")]
    return Chart("markouts", "Markouts by taker class and year", {"data": data, "layout": _layout(
        "Markouts at the session horizon: USD per $1M the house traded, by taker class and year")},
        ["kind", "year", "class_or_bucket", "usd_per_million"], out)


def markout_curves(run: RunTables) -> Chart:
    rows = markouts.curves(run)
    lines = sorted({(r["taker_class"], r["year"]) for r in rows})
    data = [{"type": "scatter", "mode": "lines+markers", "name": f"{esc(c)} {y}",
             "x": [r["horizon_s"] for r in rows if (r["taker_class"], r["year"]) == (c, y)],
             "y": [r["usd_per_million"] for r in rows if (r["taker_class"], r["year"]) == (c, y)]} for c, y in lines]
    layout = _layout("The house's markout curves by taker class and year: USD per $1M it traded, at +1/+10/+60 s")
    layout["xaxis"] = {"type": "log", "title": {"text": "seconds after the fill"}}
    return Chart("markout_curves", "Markout curves by taker class and year", {"data": data, "layout": layout},
                 ["year", "taker_class", "horizon_s", "markout_minor", "usd_per_million"],
                 [[r["year"], r["taker_class"], r["horizon_s"], r["markout_minor"], r["usd_per_million"]] for r in rows])


def reserve_ratio(run: RunTables) -> Chart:
    rows = reserves.monthly(run)
    dates = [r["date"].isoformat() for r in rows]
    data = [{"type": "scatter", "mode": "lines+markers", "name": "honest (own token excluded)", "x": dates,
             "y": [r["honest_ppm"] / 1e4 for r in rows]},
            {"type": "scatter", "mode": "lines+markers", "name": "flattering (token at market, house netted)", "x": dates,
             "y": [r["flattering_ppm"] / 1e4 for r in rows]},
            {"type": "scatter", "mode": "lines", "name": "100%", "x": [dates[0], dates[-1]], "y": [100, 100],
             "line": {"dash": "dot", "color": "#888"}}]
    first = reserves.first_hole(rows)
    title = f"Monthly reserve ratio both ways (%); an honest proof first shows the hole on {first or 'no month-end'}"
    keys = ["date", "liabilities_minor", "reserves_honest_minor", "reserves_flattering_minor", "honest_ppm", "flattering_ppm"]
    return Chart("reserves", "Reserve ratio both ways", {"data": data, "layout": _layout(title)}, keys,
                 [[r["date"].isoformat(), *(r[k] for k in keys[1:])] for r in rows])


def early_warnings(run: RunTables) -> Chart:
    sig = warnings.signals(run)
    crossed = [s for s in sig if s.first]
    data = [{"type": "scatter", "mode": "markers+text", "name": "first crossing", "x": [s.first.isoformat() for s in crossed],
             "y": [s.name.replace("_", " ") for s in crossed], "text": [f"{s.lead_days} days before" for s in crossed],
             "textposition": "top center", "marker": {"size": 14}}]
    shapes = []
    if run.summary.get("collapse_date"):
        c = run.summary["collapse_date"]
        shapes = [{"type": "line", "x0": c, "x1": c, "yref": "paper", "y0": 0, "y1": 1, "line": {"color": "red", "dash": "dash"}}]
    rows = [[s.name, s.threshold, s.direction, s.first.isoformat() if s.first else "", s.lead_days, s.why] for s in sig]
    return Chart("warnings", "Early warnings against the collapse", {"data": data, "layout": _layout(
        "When each early-warning signal first crossed its threshold (red: the halt)", shapes=shapes,
        xaxis={"range": [run.dates[0].isoformat(), run.dates[-1].isoformat()]})},
        ["signal", "threshold", "crossing", "first_date", "lead_days", "why"], rows)


def versus(a: RunTables, b: RunTables, label_a: str, label_b: str) -> Chart:
    keys = ["hole_at_collapse_minor", "hole_at_fire_sale_at_collapse_minor", "house_borrowed_at_collapse_minor"]
    buckets = [k for k in a.summary["house_losses_by_bucket_minor"] if k != "total"]
    names = [k.removesuffix("_minor").replace("_", " ") for k in keys] + [f"loss: {k}" for k in buckets]
    va = [a.summary[k] for k in keys] + [a.summary["house_losses_by_bucket_minor"][k] for k in buckets]
    vb = [b.summary[k] for k in keys] + [b.summary["house_losses_by_bucket_minor"].get(k, 0) for k in buckets]
    data = [{"type": "bar", "name": esc(label_a), "x": names, "y": [v / M for v in va]},
            {"type": "bar", "name": esc(label_b), "x": names, "y": [v / M for v in vb]}]
    return Chart("versus", "Two runs side by side", {"data": data, "layout": _layout(
        f"A = {label_a} (collapse {a.summary['collapse_date']}), B = {label_b} (collapse {b.summary['collapse_date']}), USD M",
        barmode="group")}, ["item", "a_minor", "b_minor"], [[n, x, y] for n, x, y in zip(names, va, vb, strict=True)])
