"""Driving `hollow` in-process for the CLI tests: exit code, stdout, stderr, and "nothing written"."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

from hollow.cli import main

TINY = """\
name = "tiny"
duration_s = 2
seed = 1
[arbitrageurs]
count = 1
[trading_firms]
count = 1
[retail]
count = 5
orders_per_hour = 600
"""

TINY_CASCADE = """\
name = "tiny_crash"
duration_s = 30
seed = 7
insurance_fund_usd = "1000"
[reference.crash]
start_s = 5
drop_pct = 40
over_s = 20
[house]
size_lots = 50
max_position_lots = 1000000
[house_account]
liquidation_exempt = true
allow_negative_balance = true
[arbitrageurs]
count = 1
[trading_firms]
count = 0
[retail]
count = 0
[margin]
[longs]
count = 10
[shorts]
count = 2
"""


def hollow(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Runs `hollow ARGS` in this process; returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as done:
        main([*args])
    captured = capsys.readouterr()
    code = done.value.code
    return (0 if code is None else code), captured.out, captured.err


def tree(folder: Path) -> list[str]:
    """Every path under `folder` (hidden ones included), relative and sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def assert_refused(result: tuple[int, str, str], *needles: str) -> str:
    """Exit 2, exactly one line on stderr starting 'error: ', containing each needle, no traceback."""
    code, _, err = result
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped, the rest as it is."""
    return '"' + "".join(f"\\u{ord(c):04x}" if c in '"\\' or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text) + '"'


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def to_toml(data: dict) -> str:
    """A regime as TOML: top-level keys first, then one [table] per section (nested tables inline)."""
    lines = [f"{k} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, table in data.items():
        if isinstance(table, dict):
            lines.append(f"[{section}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def with_field(base: str, dotted: str, value: object) -> str:
    """`base` TOML with one field set (sections created as needed)."""
    data = tomllib.loads(base)
    *sections, key = dotted.split(".")
    table = data
    for s in sections:
        table = table.setdefault(s, {})
    table[key] = value
    return to_toml(data)
