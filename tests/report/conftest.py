"""The browser for the report tests: Debian's Chromium through pytest-playwright (never a downloaded one),
with the flags that keep it on this machine; a mini run with its report; an adversarially named run."""

import shutil
from pathlib import Path

import pytest

from hollow.report.html import CHROMIUM, CHROMIUM_ARGS
from tests.analysis.conftest import make_run

HAVE_CHROMIUM = Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is not None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not HAVE_CHROMIUM:
        pytest.skip(f"no system Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def report_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("report-sessions"))


@pytest.fixture(scope="session")
def mini_run(tmp_path_factory, report_cache) -> Path:
    return make_run(tmp_path_factory.mktemp("report-runs") / "mini", report_cache)


@pytest.fixture(scope="session")
def evil_run(tmp_path_factory, report_cache) -> Path:
    """The mini scenario renamed to markup: everything from the scenario must be escaped in the report."""
    from importlib import resources

    text = resources.files("hollow.scenarios").joinpath("ftx_mini.toml").read_text()
    evil = text.replace('name = "ftx_mini"', 'name = "evil"', 1).replace(
        'description = "', 'description = "<script>window.pwned=1</script><img src=x onerror=alert(1)> ', 1)
    folder = tmp_path_factory.mktemp("evil")
    scenario = folder / "evil.toml"
    scenario.write_text(evil)
    from hollow.cli import main

    out = folder / "run"
    with pytest.raises(SystemExit) as done:
        main(["run", str(scenario), "--out", str(out), "--cache", report_cache, "--quiet"])
    assert done.value.code in (0, None)
    return out
