"""`hollow report RUN [--vs RUN_B]`: the report of a run as one self-contained HTML file, and each
chart's data as CSV and picture as PNG (system Chromium through Playwright; no browser download).

`write_into(folder, run_dir, manifest)` is what `hollow run` calls inside its RunFolder (report.html and
hole_flows.parquet beside the tables); `hollow report` writes a report folder of its own, also whole or
absent (a RunFolder), so a run folder and its manifest are never changed after the fact.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from importlib import resources
from pathlib import Path

from hollow.analysis import flows as flow_analysis
from hollow.analysis import reserves, warnings
from hollow.analysis.run import RunTables
from hollow.report import charts as c

REPORT = "report.html"
CHROMIUM = os.environ.get("HOLLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost"]  # reference/browser-testing.md: stay on the machine


def _usd(minor: int | None) -> str:
    if minor is None:
        return "-"
    return f"{'-' if minor < 0 else ''}${abs(minor) / 1e6:,.0f}"


def _safe_json(data: object) -> str:
    """JSON that cannot close its <script> element or open a comment, whatever the strings hold."""
    return json.dumps(data, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def build(run: RunTables, vs: RunTables | None = None, labels: tuple[str, str] = ("A", "B")) -> tuple[str, list[c.Chart]]:
    """The HTML text and its charts."""
    import jinja2
    import plotly.offline

    hole = flow_analysis.hole_flows(run)
    charts = [c.losses(run), c.solvency(run), c.assets_claims(run, hole), c.sankey(hole), c.tracing(hole), c.pnl_by_class(run),
              c.markout(run), c.markout_curves(run), c.reserve_ratio(run), c.early_warnings(run)]
    if vs is not None:
        charts.append(c.versus(run, vs, *labels))
    s = run.summary
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(resources.files("hollow.report").joinpath("templates/report.html.j2").read_text())
    first = reserves.first_hole(reserves.monthly(run))
    text = template.render(
        name=s["scenario"], description=s.get("description", ""), scenario=run.manifest.get("scenario_source", s["scenario"]), seed=s["seed"], start=s["start"], end=s["end"],
        version=run.manifest.get("hollow_version"), hole=_usd(s["hole_at_collapse_minor"]),
        collapse=s["collapse_date"] or "none (the venue never halted)", hole_fire=_usd(s["hole_at_fire_sale_at_collapse_minor"]),
        opened=s["hole_opened_date"] or "never", first_proof=first or "never",
        losses=[(k, _usd(v)) for k, v in s["house_losses_by_bucket_minor"].items()],
        charts=charts, signals=warnings.signals(run), plotly_js=plotly.offline.get_plotlyjs().replace("</script", "<\\/script"),
        figures=_safe_json({ch.id: ch.figure for ch in charts}))
    return text, charts


def write_csvs(charts: list[c.Chart], folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    for ch in charts:
        with open(folder / f"{ch.id}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(ch.columns)
            w.writerows(ch.rows)


def write_pngs(report: Path, charts: list[c.Chart], folder: Path) -> None:
    """Each chart's element screenshot from the report, opened offline in the system Chromium."""
    from playwright.sync_api import sync_playwright

    from hollow.errors import HollowError

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).is_file():
        raise HollowError(f"{CHROMIUM}: no Chromium to draw the PNGs (install chromium, or pass --no-png)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(report.resolve().as_uri())
            page.evaluate("window.hollowRendered.then(() => true)")
            for ch in charts:
                page.locator(f"#chart-{ch.id}").screenshot(path=str(folder / f"{ch.id}.png"))
        finally:
            browser.close()


def write_into(folder: Path, manifest: dict) -> None:
    """`hollow run`'s part: hole_flows.parquet, report.html and charts/*.csv into the run being written."""
    run = RunTables(folder, manifest=manifest)
    flow_analysis.write(run, folder)
    text, charts = build(run)
    (folder / REPORT).write_text(text)
    write_csvs(charts, folder / "charts")


def write_report(folder: Path, run_dir: str, vs_dir: str | None, png: bool) -> None:
    """`hollow report`'s folder: report.html, hole_flows.parquet, charts/<id>.csv and .png."""
    run = RunTables(run_dir, "RUN")
    vs = None if vs_dir is None else RunTables(vs_dir, "--vs")
    flow_analysis.write(run, folder)
    text, charts = build(run, vs, (Path(run_dir).name, Path(vs_dir).name if vs_dir else "B"))
    (folder / REPORT).write_text(text)
    write_csvs(charts, folder / "charts")
    if png:
        write_pngs(folder / REPORT, charts, folder / "charts")
