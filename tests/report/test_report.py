"""The report: written by `hollow run` and `hollow report`, self-contained, escaped, every chart drawn
with data in a real browser and no console errors; each chart's CSV and PNG."""

import csv
import json

import pytest

from hollow.analysis.flows import RULES
from hollow.report.charts import esc
from tests.cli_support import hollow

CHARTS = ("losses", "solvency", "assets", "sankey", "tracing", "pnl", "markouts", "markout_curves", "reserves", "warnings")


def test_hollow_run_writes_the_report_inside_the_whole_run(mini_run):
    from hollow.io.run_folder import verify_run

    files = verify_run(mini_run)["files"]
    assert "report.html" in files and "hole_flows.parquet" in files
    assert {f"charts/{c}.csv" for c in CHARTS} <= set(files)
    text = (mini_run / "report.html").read_text()
    assert "<script src=" not in text and "<link " not in text and "Plotly.newPlot" in text
    assert len(text) > 3_000_000  # plotly.js itself is inline


def test_the_sankey_csv_sums_to_the_hole_under_each_rule(mini_run):
    summary = json.loads((mini_run / "summary.json").read_text())
    with open(mini_run / "charts" / "sankey.csv") as f:
        rows = list(csv.DictReader(f))
    for rule in RULES:
        assert sum(int(r["amount_minor"]) for r in rows if r["rule"] == rule) == summary["hole_at_collapse_minor"]


def test_hollow_report_with_vs_writes_html_csv_and_png(capsys, mini_run, evil_run, tmp_path):
    out = tmp_path / "rep"
    code, stdout, err = hollow(capsys, "report", str(mini_run), "--vs", str(evil_run), "--out", str(out))
    assert code == 0, err
    assert "report.html" in stdout
    for chart in (*CHARTS, "versus"):
        assert (out / "charts" / f"{chart}.csv").stat().st_size > 0
        assert (out / "charts" / f"{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_report_input_is_refused_and_nothing_is_written(capsys, mini_run, tmp_path):
    code, _, err = hollow(capsys, "report", str(tmp_path / "nope"), "--out", str(tmp_path / "r"))
    assert code == 2 and len(err.splitlines()) == 1 and not (tmp_path / "r").exists()
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in mini_run.iterdir():
        if f.is_file() and f.name != "sessions.parquet":
            (broken / f.name).write_bytes(f.read_bytes())
    code, _, err = hollow(capsys, "report", str(broken), "--out", str(tmp_path / "r2"))
    assert code == 2 and "missing" in err and len(err.splitlines()) == 1 and not (tmp_path / "r2").exists()


def test_scenario_text_is_escaped(evil_run):
    text = (evil_run / "report.html").read_text()
    assert "<script>window.pwned" not in text and "<img src=x" not in text
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in text  # shown, as text
    assert esc("<b>") == "&lt;b&gt;"


def _open(page, report):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.resolve().as_uri())
    page.evaluate("window.hollowRendered.then(() => true)")
    return errors


@pytest.mark.parametrize("which", ["mini_run", "evil_run"])
def test_every_chart_renders_with_data_and_no_console_errors(page, request, which, tmp_path):
    run = request.getfixturevalue(which)
    errors = _open(page, run / "report.html")
    ids = page.evaluate("window.hollowCharts")
    assert sorted(ids) == sorted(CHARTS)
    for chart in ids:
        page.wait_for_selector(f"#chart-{chart} .main-svg")
        points = page.evaluate(f"""() => document.getElementById('chart-{chart}').data
            .map(t => t.type === 'sankey' ? t.link.value.length : (t.y || []).length).reduce((a, b) => a + b, 0)""")
        assert points > 0, chart
    assert page.locator("#chart-sankey .sankey-node").count() > 3
    assert page.evaluate("window.pwned === undefined")
    page.screenshot(path=str(tmp_path / f"{which}.png"), full_page=True)
    assert (tmp_path / f"{which}.png").stat().st_size > 10_000
    assert errors == []
