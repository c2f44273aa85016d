"""`hollow sweep` and `hollow sensitivity` from the command line: bad input is one line, exit 2, and
nothing written; a small sample sweep writes rows, bands, a tornado and Morris indices."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from hollow.sweep import dask as sweep_dask
from tests.cli_support import assert_refused, hollow


@pytest.fixture
def cache_env(cache_dir, monkeypatch) -> None:
    monkeypatch.setenv("HOLLOW_CACHE", cache_dir)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, needle", [
    (["--grid", "house.no_such=1,2"], "no field 'no_such'"),
    (["--grid", "house.fiat_routing=true,7"], "house.fiat_routing=7"),
    (["--grid", "house.liquidity_floor=0.1,,0.2"], "empty value"),
    (["--grid", "house.liquidity_floor"], "expected FIELD=V1,V2"),
    (["--seeds", "5-1"], "is empty"),
    (["--seeds", "x"], "expected seeds"),
    (["--sample", "3", "--design", "sobol"], "lhs or morris"),
    (["--sample", "3", "--grid", "token.fire_sale=0.1,0.2"], "also a sampled assumption"),
])
def test_bad_input_is_refused_and_nothing_written(capsys, tmp_path: Path, cache_env, args: list[str], needle: str) -> None:
    out = tmp_path / "sweep"
    assert_refused(hollow(capsys, "sweep", "ftx_mini", "--quiet", "--out", str(out), *args), needle)
    assert not out.exists()


def test_a_scheduler_that_does_not_answer(capsys, tmp_path: Path, cache_env, monkeypatch) -> None:
    monkeypatch.setattr(sweep_dask, "CONNECT_TIMEOUT_S", 2)
    out = tmp_path / "sweep"
    address = f"tcp://127.0.0.1:{free_port()}"
    assert_refused(hollow(capsys, "sweep", "ftx_mini", "--quiet", "--out", str(out), "--scheduler", address), address, "no Dask scheduler answered")
    assert not out.exists()


def test_sweep_resume_other_scenario_and_sensitivity(capsys, tmp_path: Path, cache_env) -> None:
    out = str(tmp_path / "sweep")
    code, stdout, err = hollow(capsys, "sweep", "ftx_mini", "--seeds", "1", "--sample", "2", "--design", "morris", "--workers", "2", "--out", out)
    assert code == 0, err
    assert "90% band" in stdout and "8 runs (8 run now" in stdout
    summary = json.loads((Path(out) / "summary.json").read_text())
    hole = summary["headlines"]["hole_at_collapse_minor"]
    assert summary["runs"] == 8 and hole["p5"] <= hole["median"] <= hole["p95"]
    code, stdout, _ = hollow(capsys, "sweep", "ftx_mini", "--seeds", "1", "--sample", "2", "--design", "morris", "--quiet", "--out", out)
    assert code == 0 and "(0 run now, 8 already done)" in stdout
    before = sorted(p.name for p in Path(out).rglob("*"))
    assert_refused(hollow(capsys, "sweep", "ftx_mini", "--quiet", "--out", out, "--set", "run.alert_news=0.2"), "another scenario")
    assert sorted(p.name for p in Path(out).rglob("*")) == before
    code, stdout, err = hollow(capsys, "sensitivity", out, "--tornado-seeds", "1", "--workers", "2", "--quiet")
    assert code == 0, err
    result = json.loads((Path(out) / "sensitivity.json").read_text())
    assert {b["field"] for b in result["tornado"]} == {"house.liquidity_floor", "run.news_half_life_days", "token.fire_sale"}
    swings = [b["swing_minor"] for b in result["tornado"]]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0
    assert {r["field"] for r in result["morris"]} == {b["field"] for b in result["tornado"]}
    assert (Path(out) / "tornado.html").stat().st_size > 10_000
    assert stdout.splitlines()[0].startswith("1. ")


def test_run_with_seeds_prints_bands(capsys, tmp_path: Path, cache_env) -> None:
    out = tmp_path / "bands"
    code, stdout, err = hollow(capsys, "run", "ftx_mini", "--seeds", "1-2", "--out", str(out))
    assert code == 0, err
    assert "2 runs, 90% band" in stdout and "hollow run ftx_mini --seed 1" in stdout
    assert json.loads((out / "summary.json").read_text())["seeds"] == [1, 2]
    assert_refused(hollow(capsys, "run", "ftx_mini", "--seeds", "1-2", "--seed", "3", "--out", str(tmp_path / "x")), "not both")


def test_a_sweep_on_a_running_scheduler(capsys, tmp_path: Path, cache_env) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        code, stdout, err = hollow(capsys, "sweep", "ftx_mini", "--seeds", "3", "--quiet", "--out", str(tmp_path / "s"), "--scheduler", cluster.scheduler_address)
    assert code == 0, err
    assert "1 runs (1 run now" in stdout and len(list((tmp_path / "s" / "rows").iterdir())) == 1


def test_ctrl_c_keeps_the_finished_rows_and_says_so(capsys, tmp_path: Path, cache_env, monkeypatch) -> None:
    from hollow.sweep.store import SweepStore

    original = SweepStore.write_row
    written = []

    def write_then_stop(self, row) -> None:
        original(self, row)
        written.append(row["key"])
        if len(written) == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(SweepStore, "write_row", write_then_stop)
    out = tmp_path / "s"
    code, _, err = hollow(capsys, "sweep", "ftx_mini", "--seeds", "1-3", "--workers", "1", "--quiet", "--out", str(out))
    assert code == 130 and "1 of 3 runs are written" in err and "resume" in err
    assert len(list((out / "rows").iterdir())) == 1


def test_latin_hypercube_sweep_ranks_by_rank_correlation(capsys, tmp_path: Path, cache_env) -> None:
    out = str(tmp_path / "lhs")
    assert hollow(capsys, "sweep", "ftx_mini", "--seeds", "1", "--sample", "4", "--workers", "2", "--quiet", "--out", out)[0] == 0
    code, _, err = hollow(capsys, "sensitivity", out, "--tornado-seeds", "1", "--workers", "2", "--quiet")
    assert code == 0, err
    result = json.loads((Path(out) / "sensitivity.json").read_text())
    assert len(result["spearman"]) == 3 and all(-1 <= r["spearman_rho"] <= 1 for r in result["spearman"])


def test_a_run_the_model_refuses_is_one_line(capsys, tmp_path: Path, cache_env) -> None:
    out = tmp_path / "s"
    code, _, err = hollow(capsys, "sweep", "ftx_mini", "--quiet", "--workers", "1", "--out", str(out), "--grid", "token.fire_sale=0.1234567")
    assert code == 1 and len(err.splitlines()) == 1 and "failed" in err and "token.fire_sale=0.1234567" in err
