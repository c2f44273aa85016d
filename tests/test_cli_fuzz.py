"""Random hostile perturbations of a tiny regime: every one either runs (and leaves a whole, verified
run folder) or exits 2 with one line and leaves nothing; never a traceback, never a hang.

The work bound is lowered for these tests so whatever is accepted is tiny; an alarm turns a run that
outlives the bound's promise into a failure instead of a stuck test run.
"""

from __future__ import annotations

import math
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from hollow.io.run_folder import verify_run
from hollow.sessions import limits
from hollow.sessions.regime import Regime
from tests.cli_support import TINY, TINY_CASCADE, hollow, tree, with_field

SMALL_WORK = 200_000  # work units: a fraction of a second of simulation
HANG_S = 60  # far beyond what SMALL_WORK takes; only a run the estimate misses gets near it


def leaf_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted names of every scalar field, through the sections a regime always has."""
    names = []
    for name, info in model.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            names += leaf_fields(sub, f"{prefix}{name}.")
        elif not any(isinstance(a, type) and issubclass(a, BaseModel) for a in get_args(sub)) and "list" not in str(sub):
            names.append(f"{prefix}{name}")
    return names


HOSTILE = st.one_of(
    st.sampled_from([
        0, -1, 1, 2, 2**31, 2**39, 2**53, 2**53 + 1, 2**63, 2**70, 0.5, 1e-12, 1e-9, 1e-6, 1e6, 1e12, 1e300, -1e300,
        math.inf, -math.inf, math.nan, True, False, "", "yes", "1.5", "nan", "inf", "1e30", "1e-30", "../x", "/abs",
        "a\x00b", "é" * 50, "keep_quoting", [], [1], {}, {"a": 1},
    ]),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.integers(min_value=0, max_value=10**6),  # plausible magnitudes: these mostly pass validation and run
    st.floats(min_value=0, max_value=1e6),
    st.floats(min_value=0, max_value=1e6),
)


class Hang(Exception):
    """A run outlived HANG_S."""


@contextmanager
def time_bound(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_perturbed(capsys, command: str, base: str, changes: list[tuple[str, Any]]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text = base
        for field, value in changes:
            text = with_field(text, field, value)
        regime = folder / "r.toml"
        regime.write_text(text)
        out = folder / "out"
        with time_bound(HANG_S):
            code, _, err = hollow(capsys, command, str(regime), "--quiet", "--out", str(out))
        assert "Traceback" not in err
        if code == 0:
            assert verify_run(out)
        else:
            lines = err.splitlines()
            assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (changes, err)
            assert tree(folder) == ["r.toml"], changes
        return code


def perturbations(model: type[BaseModel]) -> st.SearchStrategy[list[tuple[str, Any]]]:
    return st.lists(st.tuples(st.sampled_from(leaf_fields(model)), HOSTILE), min_size=1, max_size=3)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(changes=perturbations(Regime))
def test_perturbed_sessions_run_or_refuse_in_one_line(capsys, monkeypatch, changes) -> None:
    monkeypatch.setattr(limits, "MAX_WORK", SMALL_WORK)
    run_perturbed(capsys, "session", TINY, changes)


@settings(FUZZ, max_examples=25)
@given(changes=perturbations(Regime))
def test_perturbed_cascades_run_or_refuse_in_one_line(capsys, monkeypatch, changes) -> None:
    monkeypatch.setattr(limits, "MAX_WORK", SMALL_WORK)
    run_perturbed(capsys, "cascade", TINY_CASCADE, changes)


def test_the_fuzzed_fields_cover_every_section() -> None:
    fields = leaf_fields(Regime)
    for section in ("house", "arbitrageurs", "trading_firms", "retail", "reference", "instrument", "venue"):
        assert any(f.startswith(f"{section}.") for f in fields), section
    assert {"duration_s", "seed", "name"} <= set(fields)


@pytest.mark.parametrize("base", [TINY, TINY_CASCADE], ids=["session", "cascade"])
def test_the_unperturbed_bases_run(capsys, monkeypatch, base: str) -> None:
    monkeypatch.setattr(limits, "MAX_WORK", SMALL_WORK)
    assert run_perturbed(capsys, "session" if base is TINY else "cascade", base, []) == 0
