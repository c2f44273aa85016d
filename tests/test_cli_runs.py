"""Run folders through the CLI: a run lands whole with its manifest, is never mixed with another run,
and an interrupted run leaves nothing (in-process, and a real Ctrl-C on a real process)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hollow.io.run_folder import MANIFEST, verify_run
from hollow.sessions.runner import SessionResult
from tests.cli_support import TINY, TINY_CASCADE, assert_refused, hollow, tree

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.mark.parametrize(("command", "base", "table"), [("session", TINY, "fills.parquet"), ("cascade", TINY_CASCADE, "ledger.parquet")])
def test_a_run_is_whole_with_a_manifest_and_is_replaced_only_with_force(tmp_path: Path, capsys, monkeypatch, command, base, table) -> None:
    monkeypatch.chdir(tmp_path)
    Path("r.toml").write_text(base)
    code, out, err = hollow(capsys, command, "r.toml", "--quiet", "--seed", "5")
    name = "tiny" if command == "session" else "tiny_crash"
    target = Path("runs") / f"{name}-5"
    assert code == 0, err
    assert out.strip() == f"wrote {target}"
    manifest = verify_run(target)
    assert manifest["seed"] == 5 and manifest["command"] == command and table in manifest["files"]
    assert tree(Path("runs")) == sorted([target.name, *(f"{target.name}/{f}" for f in [MANIFEST, *manifest["files"]])])

    assert_refused(hollow(capsys, command, "r.toml", "--quiet", "--seed", "5"), f"--out {target}: holds an earlier run; pass --force")
    stale = target / "stale.parquet"
    stale.write_bytes(b"from another run")
    code, _, err = hollow(capsys, command, "r.toml", "--quiet", "--seed", "5", "--force")
    assert code == 0, err
    assert not stale.exists() and verify_run(target) == manifest  # same seed, same bytes; nothing mixed in
    assert sorted(os.listdir("runs")) == [target.name]  # no temporary or old folder left beside it


def test_the_regime_inside_the_folder_force_would_replace_is_refused(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    regime = tmp_path / "r.toml"
    regime.write_text(TINY)
    assert hollow(capsys, "session", str(regime), "--quiet", "--out", str(out))[0] == 0
    inside = out / "r.toml"
    os.link(regime, inside)  # a hard link: the same file under the folder
    before = tree(tmp_path)
    assert_refused(hollow(capsys, "session", str(regime), "--quiet", "--out", str(out), "--force"), "an input of this run")
    assert tree(tmp_path) == before and regime.read_text() == TINY


def test_a_folder_that_is_not_a_run_is_never_replaced(tmp_path: Path, capsys) -> None:
    regime = tmp_path / "r.toml"
    regime.write_text(TINY)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    assert_refused(hollow(capsys, "session", str(regime), "--out", str(tmp_path / "home"), "--force"), "not a hollow run")
    assert (tmp_path / "home" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, MemoryError])
def test_an_interrupted_write_leaves_no_folder_that_reads_as_a_run(tmp_path: Path, capsys, monkeypatch, interrupt) -> None:
    """Today's failure: a Ctrl-C just after fills.parquet is written left a folder with a valid,
    empty-looking table and no summary."""
    regime = tmp_path / "r.toml"
    regime.write_text(TINY)
    write = SessionResult.write

    def write_then_stop(self, out_dir: Path) -> None:
        write(self, out_dir)
        (out_dir / "summary.json").unlink()
        raise interrupt

    monkeypatch.setattr(SessionResult, "write", write_then_stop)
    out = tmp_path / "runs" / "r"
    if interrupt is KeyboardInterrupt:
        code, _, err = hollow(capsys, "session", str(regime), "--quiet", "--out", str(out))
        assert code == 130 and err.strip() == "error: interrupted; nothing was written"
    else:
        with pytest.raises(MemoryError):
            hollow(capsys, "session", str(regime), "--quiet", "--out", str(out))
    assert tree(tmp_path) == ["r.toml"]  # not even runs/


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_real_process_stopped_mid_run_leaves_nothing(tmp_path: Path, sig: int) -> None:
    """A real `hollow session` process (a simulated day: about a minute of work), stopped mid-run."""
    regime = tmp_path / "r.toml"
    regime.write_text(TINY.replace("duration_s = 2", "duration_s = 86400").replace("count = 5", "count = 200"))
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hollow", "session", str(regime), "--quiet", "--out", str(tmp_path / "out")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        while proc.poll() is None and _cpu_seconds(proc.pid) < 1.5:  # past imports and checks: simulating
            time.sleep(0.05)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "error: interrupted; nothing was written"
    assert "Traceback" not in err
    assert tree(tmp_path) == ["r.toml"]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_the_manifest_records_the_regime_file_it_ran(tmp_path: Path, capsys) -> None:
    import hashlib

    regime = tmp_path / "r.toml"
    regime.write_text(TINY)
    out = tmp_path / "out"
    assert hollow(capsys, "session", str(regime), "--quiet", "--out", str(out))[0] == 0
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["regime_sha256"] == hashlib.sha256(regime.read_bytes()).hexdigest()
    assert manifest["regime"] == "tiny" and manifest["format"] == "hollow-run/1"
