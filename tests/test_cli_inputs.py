"""Bad regimes and flags, tried as a new user would: each is one line naming the file or flag, the field
and the reason, exit 2, and nothing written (not even a temporary folder)."""

from __future__ import annotations

import sys
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

BIG = 2**39  # passes an int64 but wraps a numpy sum of notionals
CASES = {
    # hangs: positive, but 0 ns on the clock, or a rate that can never finish
    "requote 1e-9 ms": ("house.requote_interval_ms", 1e-9, "house.requote_interval_ms", "less than 1 ns"),
    "signal 1e-9 ms": ("trading_firms.signal_interval_ms", 1e-9, "trading_firms.signal_interval_ms", "less than 1 ns"),
    "reference 1e-9 ms": ("reference.update_interval_ms", 1e-9, "reference.update_interval_ms", "less than 1 ns"),
    "duration 1e-12 s": ("duration_s", 1e-12, "duration_s", "less than 1 ns"),
    "retail 1e12 per hour": ("retail.orders_per_hour", 1e12, "retail.orders_per_hour", "events of work"),
    "requote every 1 ns": ("house.requote_interval_ms", 1e-6, "house.requote_interval_ms", "events of work"),
    # tracebacks: inf, nan, overflow once in ns, minor units, lots or ticks; negative seed
    "inf spread": ("house.half_spread_bps", float("inf"), "house.half_spread_bps", "finite"),
    "nan volatility": ("reference.annual_volatility", float("nan"), "reference.annual_volatility", "finite"),
    "nan money": ("house.trailing_volume_usd", "nan", "house.trailing_volume_usd", "finite"),
    "inf money": ("house.trailing_volume_usd", float("inf"), "house.trailing_volume_usd", "finite"),
    "latency beyond int64 ns": ("house.feed_us", 1e300, "house.feed_us", "longest allowed"),
    "latency of a day": ("house.order_entry_us", 86_400e6, "house.order_entry_us", "longest allowed"),
    "lifetime beyond a year": ("retail.limit_lifetime_s", 1e9, "retail.limit_lifetime_s", "longest allowed"),
    "hold minutes beyond int64": ("retail.hold_minutes", 1e15, "retail.hold_minutes", "longest allowed"),
    "size beyond int64": ("house.size_lots", 2**70, "house.size_lots", "less than or equal to"),
    "money beyond int64": ("house.trailing_volume_usd", "1e30", "house.trailing_volume_usd", "2**53"),
    "money beyond the bound": ("accounts.retail_usd", "1e15", "accounts.retail_usd", "less than or equal to"),
    "price beyond the book": ("instrument.start_price", "9e15", "instrument.start_price", "largest price"),
    "tick finer than 1e-18": ("instrument.tick_size", "1e-30", "instrument.tick_size", "18 digits"),
    "conflation beyond int64 ns": ("venue.conflation_us", 2**53, "venue.conflation_us", "less than or equal to"),
    "drift beyond reason": ("reference.drift_per_year", 1e9, "reference.drift_per_year", "largest price"),
    "negative seed": ("seed", -1, "seed", "greater than or equal to 0"),
    # found by the fuzz tests below
    "noise of 2**53 bps": ("house.signal_noise_bps", 2**53, "house.signal_noise_bps", "more than 100%"),
    "tick larger than the price": ("instrument.tick_size", 2**31, "instrument.start_price", "rounds to 0 ticks"),
    "ladder through zero": ("house.level_spacing_bps", 2_500.0, "house.level_spacing_bps", "price of zero or less"),
    "money finer than a micro-dollar": ("accounts.retail_usd", "0.0000001", "accounts.retail_usd", "decimal places"),
    # silent nonsense: strict types, and sizes so large every order would be refused
    "duration true": ("duration_s", True, "duration_s", "expected a number, got true"),
    "hedge yes": ("arbitrageurs.hedge", "yes", "arbitrageurs.hedge", "expected true or false, got 'yes'"),
    "hedge 1": ("arbitrageurs.hedge", 1, "arbitrageurs.hedge", "expected true or false, got 1"),
    "levels 5.0": ("house.levels", 5.0, "house.levels", "expected a whole number, got 5.0"),
    "count '3'": ("retail.count", "3", "retail.count", "expected a whole number"),
    "money true": ("house.trailing_volume_usd", True, "house.trailing_volume_usd", "expected a number"),
    "size beyond the book": ("retail.max_lots", 2**53, "retail.max_lots", "at most"),
    # money that would silently wrap
    "house size 2**39": ("house.size_lots", BIG, "house.size_lots", "at most"),
    "position 2**39": ("house.max_position_lots", BIG, "house.max_position_lots", "at most"),
    # escapes
    "name ../../x": ("name", "../../x", "name", "names the run's folder"),
    "absolute name": ("name", "/tmp/x", "name", "names the run's folder"),
    "name with NUL": ("name", "a\x00b", "name", "names the run's folder"),
    "name with newline": ("name", "a\nb", "name", "names the run's folder"),
    "name is a number": ("name", 5, "name", "expected a string"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_session_field_is_one_line_exit_2_nothing_written(tmp_path: Path, capsys, monkeypatch, case: str) -> None:
    dotted, value, field, reason = CASES[case]
    monkeypatch.chdir(tmp_path)  # the default output folder would be runs/ here
    regime = tmp_path / "bad.toml"
    regime.write_text(with_field(TINY, dotted, value))
    line = assert_refused(hollow(capsys, "session", str(regime), "--quiet"), f"{regime}: {field}: ", reason)
    assert "\\x00" in line or "\x00" not in line
    assert tree(tmp_path) == ["bad.toml"]


CASCADE_CASES = {
    "risk 1e-9 ms": ("margin.risk_interval_ms", 1e-9, "margin.risk_interval_ms", "less than 1 ns"),
    "crash start inf": ("reference.crash.start_s", float("inf"), "reference.crash.start_s", "finite"),
    "crash over 1e-12 s": ("reference.crash.over_s", 1e-12, "reference.crash.over_s", "less than 1 ns"),
    "collateral 1e30": ("house_account.collateral_usd", "1e30", "house_account.collateral_usd", "2**53"),
    "collateral beyond the bound": ("house_account.collateral_usd", "1e14", "house_account.collateral_usd", "largest amount"),
    "fund nan": ("insurance_fund_usd", "nan", "insurance_fund_usd", "finite"),
    "exempt yes": ("house_account.liquidation_exempt", "yes", "house_account.liquidation_exempt", "true or false"),
    "collateral finer than a micro-dollar": ("house_account.collateral_usd", "841885.6515535018", "house_account.collateral_usd", "micro-dollar"),
    "drop finer than ppm": ("reference.crash.drop_pct", 1e-9, "reference.crash.drop_pct", "decimal places"),
    "risk every 10 ns": ("margin.risk_interval_ms", 1e-5, "margin.risk_interval_ms", "events of work"),
}


@pytest.mark.parametrize("case", sorted(CASCADE_CASES))
def test_bad_cascade_field_is_one_line_exit_2_nothing_written(tmp_path: Path, capsys, monkeypatch, case: str) -> None:
    dotted, value, field, reason = CASCADE_CASES[case]
    monkeypatch.chdir(tmp_path)
    regime = tmp_path / "bad.toml"
    regime.write_text(with_field(TINY_CASCADE, dotted, value))
    assert_refused(hollow(capsys, "cascade", str(regime), "--quiet"), f"{regime}: {field}: ", reason)
    assert tree(tmp_path) == ["bad.toml"]


def test_utf16_regime_is_not_utf8_text_not_a_codec_error(tmp_path: Path, capsys) -> None:
    regime = tmp_path / "r.toml"
    regime.write_bytes(TINY.encode("utf-16"))
    line = assert_refused(hollow(capsys, "session", str(regime), "--out", str(tmp_path / "out")), "not UTF-8 text", "UTF-16")
    assert "codec" not in line
    assert tree(tmp_path) == ["r.toml"]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--out", ""], ["--out '': empty path"]),
        (["--seed", "-1"], ["--seed", "greater than or equal to 0", "hollow session --help"]),
        (["--seed", str(2**70)], ["--seed"]),
        (["--seed", "x"], ["--seed"]),
        (["--out", "r.toml"], ["--out r.toml: is a file"]),
        (["--out", "r.toml/run"], ["a part of this path is a file"]),
        (["--out", "."], ["current folder"]),
        (["--bogus"], ["--bogus"]),
    ],
    ids=["empty-out", "negative-seed", "huge-seed", "text-seed", "out-is-file", "out-under-file", "out-is-cwd", "unknown-flag"],
)
def test_bad_flags_are_one_line_exit_2(tmp_path: Path, capsys, monkeypatch, args: list[str], needles: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("r.toml").write_text(TINY)
    assert_refused(hollow(capsys, "session", "r.toml", "--quiet", *args), *needles)
    assert tree(tmp_path) == ["r.toml"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_an_out_folder_where_nothing_can_be_written_is_one_line(tmp_path: Path, capsys) -> None:
    """/proc refuses new folders even to root, so this holds however the tests are run."""
    regime = tmp_path / "r.toml"
    regime.write_text(TINY)
    assert_refused(hollow(capsys, "session", str(regime), "--quiet", "--out", "/proc/hollow-test/run"), "--out /proc/hollow-test/run", "nothing was written")


def test_missing_and_unreadable_regime_files(tmp_path: Path, capsys) -> None:
    assert_refused(hollow(capsys, "session", str(tmp_path / "nope.toml")), "nope.toml: no such file")
    assert_refused(hollow(capsys, "cascade", str(tmp_path)), "is a folder, not a file")
    assert_refused(hollow(capsys, "session", ""), "'': empty path")


COLLATERAL = {"asset": "FTT", "weight": "0.95", "initial_weight": "0.95", "imf_factor": "0.0005", "price_usd": "33.86"}


@pytest.mark.parametrize(
    ("collateral", "units", "field", "reason"),
    [
        ({**COLLATERAL, "weight": "0.0000001"}, "1", "collateral.0.weight", "decimal places"),
        (COLLATERAL, "0.000000001", "house_account.collateral_units.FTT", "finer than its minor unit"),
        (COLLATERAL, str(2**52), "house_account.collateral_units.FTT", "sum exactly"),
    ],
    ids=["weight-finer-than-ppm", "units-finer-than-minor", "units-beyond-sums"],
)
def test_bad_collateral_is_one_line(tmp_path: Path, capsys, collateral: dict, units: str, field: str, reason: str) -> None:
    text = with_field(with_field(TINY_CASCADE, "collateral", [collateral]), "house_account.collateral_units", {"FTT": units})
    regime = tmp_path / "bad.toml"
    regime.write_text(text)
    assert_refused(hollow(capsys, "cascade", str(regime), "--quiet", "--out", str(tmp_path / "out")), f"{regime}: {field}: ", reason)
    assert tree(tmp_path) == ["bad.toml"]
