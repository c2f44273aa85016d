"""`hollow cascade` end to end through the command line, and a bad regime refused in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

SMALL = """
name = "tiny_crash"
duration_s = 240
seed = 7
insurance_fund_usd = "1000"
[reference.crash]
start_s = 20
drop_pct = 40
over_s = 120
[house]
size_lots = 50
max_position_lots = 1000000
[house_account]
liquidation_exempt = true
allow_negative_balance = true
backstop_per_minute_usd = "2000"
backstop_per_hour_usd = "6000"
[arbitrageurs]
count = 1
[trading_firms]
count = 0
[retail]
count = 0
[margin]
[longs]
count = 60
[shorts]
count = 3
"""


def _run(*args: str) -> subprocess.CompletedProcess:
    env_path = str(Path(__file__).resolve().parents[2] / "src")
    return subprocess.run(
        [sys.executable, "-m", "hollow", "cascade", *args], capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
    )


def test_cascade_cli_writes_ledger_accounts_liquidations_and_summary(tmp_path: Path) -> None:
    regime = tmp_path / "tiny.toml"
    regime.write_text(SMALL)
    out = tmp_path / "out"
    result = _run(str(regime), "--seed", "3", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    for name in ("ledger.parquet", "accounts.parquet", "liquidations.parquet", "summary.json"):
        assert (out / name).exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["journal_check_passed"] and summary["seed"] == 3
    assert summary["accounts_liquidated"] > 0 and summary["non_exempt_accounts_below_zero"] == 0
    for key in ("house_backstop_pnl_minor", "insurance_fund_used_minor", "adl_events", "socialized_loss_minor", "events"):
        assert isinstance(summary[key], int)
    liq = pq.read_table(out / "liquidations.parquet")
    assert liq.column_names[:8] == ["ts_ns", "account", "class", "step", "qty_lots", "price_ticks", "amount_minor", "counterparty"]
    ledger = pq.read_table(out / "ledger.parquet")
    causes = set(ledger.column("cause").to_pylist())
    assert {"deposit", "liquidation:backstop"} <= causes or {"deposit", "liquidation:adl"} <= causes


def test_bad_regime_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    regime = tmp_path / "bad.toml"
    regime.write_text(SMALL.replace("count = 60", "count = -5"))
    out = tmp_path / "out"
    result = _run(str(regime), "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "longs.count" in lines[0] and "Traceback" not in result.stderr
    assert not out.exists()
