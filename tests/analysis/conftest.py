"""Mini world run folders for the analysis tests, written by `hollow run` (so each is a whole run)."""

from pathlib import Path

import pytest

from hollow.cli import main


def make_run(out: Path, cache: str, *extra: str) -> Path:
    """`hollow run ftx_mini --out OUT ...` in this process (no capsys: session fixtures and hypothesis use it)."""
    with pytest.raises(SystemExit) as done:
        main(["run", "ftx_mini", "--out", str(out), "--cache", cache, "--quiet", *extra])
    assert done.value.code in (0, None)
    return out


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("analysis-sessions"))


@pytest.fixture(scope="session")
def mini_dir(tmp_path_factory, session_cache) -> Path:
    return make_run(tmp_path_factory.mktemp("runs") / "mini", session_cache)
