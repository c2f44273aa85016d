"""Regime parts that do not fit together, and sizes a regime can draw at random, are refused before
the run: one line naming the field, exit 2, nothing written (never a silently odd run, never exit 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_support import (
    TINY,
    TINY_CASCADE,
    assert_refused,
    hollow,
    tree,
    with_field,
)

CRASH = '[reference.crash]\nstart_s = 1\ndrop_pct = 50\nover_s = 1\n'
MIXES = {
    "a crash with no margin": (TINY + CRASH, "reference.crash needs a [margin] section"),
    "a crash after the run ends": (with_field(TINY_CASCADE, "reference.crash.start_s", 30.0), "reference.crash.start_s"),
    "a quote asset the *_usd amounts are not in": (
        TINY + '[instrument]\nbase = "ETH"\nquote = "BTC"\ntick_size = "0.00000001"\nlot_size = "1"\nstart_price = "0.05"\n',
        "instrument.quote: must be USD"),
    "base and quote the same asset": (TINY + '[instrument]\nbase = "USD"\n', "base and quote are both USD"),
}


@pytest.mark.parametrize("case", sorted(MIXES))
def test_parts_that_do_not_fit_are_refused_in_one_line(tmp_path: Path, capsys, monkeypatch, case: str) -> None:
    text, needle = MIXES[case]
    monkeypatch.chdir(tmp_path)
    regime = tmp_path / "bad.toml"
    regime.write_text(text)
    assert_refused(hollow(capsys, "session", str(regime), "--quiet"), f"{regime}: ", needle)
    assert tree(tmp_path) == ["bad.toml"]


def test_longs_collateral_that_could_overflow_the_ledger_is_refused_before_the_run(tmp_path: Path, capsys, monkeypatch) -> None:
    """A log-normal draw with a wide sigma once gave exit 1 and 'batch refused ... outside int64' mid-build."""
    monkeypatch.chdir(tmp_path)
    regime = tmp_path / "bad.toml"
    text = with_field(with_field(TINY_CASCADE, "longs.collateral_sigma", 5.0), "longs.collateral_median_usd", 1e6)
    regime.write_text(with_field(text, "longs.count", 2000))
    assert_refused(hollow(capsys, "cascade", str(regime), "--quiet"), f"{regime}: longs.collateral_sigma: ")
    assert tree(tmp_path) == ["bad.toml"]


def test_the_largest_drawable_collateral_is_what_the_check_assumed(monkeypatch) -> None:
    """Draws are clipped at COLLATERAL_Z_MAX sigmas, so the check above bounds every regime that passes
    it: even a draw of 50 sigmas (forced here) deposits no more than the median times e**(Z_MAX sigma)."""
    import math
    import tomllib

    import numpy as np

    from hollow.sessions import build as build_mod
    from hollow.sessions.paths import reference_path
    from hollow.sessions.regime import Regime
    from hollow.sessions.risk_config import COLLATERAL_Z_MAX

    real = build_mod.stream

    class Extreme:
        def __init__(self, rng):
            self.rng = rng

        def standard_normal(self, n):
            return np.full(n, 50.0)

        def integers(self, *args):
            return self.rng.integers(*args)

    monkeypatch.setattr(build_mod, "stream", lambda seed, *names: Extreme(real(seed, *names)) if names == ("cascade-longs",) else real(seed, *names))
    regime = Regime.model_validate(tomllib.loads(with_field(TINY_CASCADE, "longs.collateral_sigma", 1.0)))
    world = build_mod.build(regime, 1, reference_path(regime, 1))
    j = world.journal
    deposits = [j.balance(j.account_id(f"customer:retail-{i:05d}"), "USD") for i in range(regime.longs.count)]
    assert max(deposits) == round(regime.longs.collateral_median_usd * math.exp(COLLATERAL_Z_MAX)) * 10**6
