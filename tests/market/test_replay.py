"""End-to-end tests of `hollow book replay` through the real CLI, plus `replay_file` edge cases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hollow.errors import HollowError
from hollow.market import _engine
from hollow.market.book import Book, OrderType, Side
from hollow.market.replay import rejects_path_for, replay_file

SRC = Path(__file__).resolve().parents[2] / "src"
HEADER = "ts_ns,order_id,agent,action,side,type,price_ticks,qty_lots"
FILLS_HEADER = "ts_ns,taker_order_id,maker_order_id,price_ticks,qty_lots,aggressor"


def hollow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Runs `python -m hollow ...` with this checkout's sources first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "hollow", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def write(path: Path, rows: list[str], header: str = HEADER, newline: str = "\n") -> Path:
    path.write_text(newline.join([header, *rows]) + newline)
    return path


SMALL = [
    "1,1,alice,add,buy,limit,100,5",
    "2,2,bob,add,buy,limit,99,5",
    "3,3,carol,add,sell,limit,102,4",
    "4,4,dave,add,sell,limit,100,7",  # hits 1 for 5 @ 100, rests 2 @ 100
    "5,5,erin,add,buy,market,,3",  # takes 2 @ 100 (order 4), then 1 @ 102 (order 3)
    "6,2,,cancel,,,,",
    "7,3,,replace,,,101,3",  # new price: back of level 101, not crossing
    "8,6,bob,add,buy,ioc,101,10",  # takes 3 @ 101 from order 3, remainder cancelled
    "9,7,alice,add,sell,post_only,90,1",  # would cross? no bids left: rests
    "10,8,alice,add,buy,limit,90,1",  # crosses alice's own ask: STP cancels the taker
    "11,99,,cancel,,,,",  # unknown order
]
SMALL_FILLS = [
    "4,4,1,100,5,sell",
    "5,5,4,100,2,buy",
    "5,5,3,102,1,buy",
    "8,6,3,101,3,buy",
]


def test_small_file_known_fills(tmp_path: Path) -> None:
    orders = write(tmp_path / "orders.csv", SMALL)
    proc = hollow("book", "replay", str(orders), "--out", str(tmp_path / "fills.csv"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "fills.csv").read_text().splitlines() == [FILLS_HEADER, *SMALL_FILLS]
    assert (tmp_path / "fills.rejects.csv").read_text().splitlines() == ["line,order_id,reason", "12,99,unknown_order"]
    assert "11 rows" in proc.stdout and "4 fills" in proc.stdout
    assert proc.stderr == ""


def test_replay_matches_the_in_process_book(tmp_path: Path) -> None:
    """One engine: feeding the same messages to Book gives the same fills as the file replay."""
    orders = write(tmp_path / "orders.csv", SMALL)
    result = replay_file(orders, tmp_path / "fills.csv", None)
    book = Book()
    fills = []
    owners: dict[str, int] = {}
    for row in SMALL:
        ts, oid, agent, action, side, otype, price, qty = row.split(",")
        if action == "add":
            owner = owners.setdefault(agent, len(owners) + 1) if agent else 0
            book.add(int(oid), owner, Side[side.upper()], OrderType[otype.upper()], int(price or 0), int(qty))
        elif action == "cancel":
            book.cancel(int(oid))
        else:
            book.replace(int(oid), int(price), int(qty))
        fills += [f"{ts},{f[0]},{f[1]},{f[4]},{f[5]},{Side(f[6]).name.lower()}" for f in book.take_fills()]
    assert fills == SMALL_FILLS
    assert (result.rows, result.fills, result.rejects, result.bad_rows) == (11, 4, 1, 0)


def test_bad_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    rows = [
        "1,1,a,add,sell,limit,100,5",
        "2,2,b,add,buy,limit,abc,5",  # line 3: bad int
        "3,3,b,add,up,limit,100,5",  # line 4: unknown side
        "4,4,b,add,buy",  # line 5: too few columns
        "5,5,b,add,buy,limit,100,2",  # good: fills against 1
        "6,x7,b,cancel,,,,",  # line 7: bad order id
        "7,8,b,add,buy,stop,100,1",  # line 8: unknown type
        "8,9,b,amend,buy,limit,100,1",  # line 9: unknown action
        "9,10,b,add,buy,limit,100,1,extra",  # line 10: too many columns
        "10,11,b,add,buy,limit,100,99999999999999999999",  # line 11: out of range
        "11,1,,cancel,,,,",  # good
    ]
    orders = write(tmp_path / "orders.csv", rows)
    proc = hollow("book", "replay", str(orders), "--out", str(tmp_path / "fills.csv"), cwd=tmp_path)
    assert proc.returncode == 1
    assert (tmp_path / "fills.csv").read_text().splitlines() == [FILLS_HEADER, "5,5,1,100,2,buy"]
    assert (tmp_path / "fills.rejects.csv").read_text().splitlines() == [
        "line,order_id,reason",
        "3,2,\"malformed: price_ticks 'abc' is not an integer\"",
        "4,3,\"malformed: unknown side 'up' (expected buy or sell)\"",
        '5,,"malformed: expected 8 columns, got 5"',
        "7,,\"malformed: order_id 'x7' is not an integer\"",
        "8,8,\"malformed: unknown type 'stop' (expected limit, ioc, market or post_only)\"",
        "9,9,\"malformed: unknown action 'amend' (expected add, cancel or replace)\"",
        '10,,"malformed: expected 8 columns, got 9"',
        "11,11,\"malformed: qty_lots '99999999999999999999' is out of range\"",
    ]
    assert "line 3: price_ticks 'abc' is not an integer" in proc.stderr
    assert "line 5: expected 8 columns, got 5" in proc.stderr
    assert "8 malformed rows" in proc.stdout and "Traceback" not in proc.stderr


def test_bad_row_messages_are_capped_at_20(tmp_path: Path) -> None:
    orders = write(tmp_path / "orders.csv", [f"{i},{i},a,add,buy,limit,zz,1" for i in range(1, 31)])
    result = replay_file(orders, tmp_path / "fills.csv", None)
    assert result.bad_rows == 30 and len(result.bad_row_messages) == 20
    assert result.bad_row_messages[0] == "line 2: price_ticks 'zz' is not an integer"
    assert len(rejects_path_for(tmp_path / "fills.csv").read_text().splitlines()) == 31


def test_missing_file_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = hollow("book", "replay", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "f.csv"), cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "nope.csv" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "f.csv").exists()


def test_unknown_flag_is_exit_2(tmp_path: Path) -> None:
    orders = write(tmp_path / "orders.csv", SMALL)
    proc = hollow("book", "replay", str(orders), "--out", str(tmp_path / "f.csv"), "--bogus", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_bad_header_is_a_clear_error(tmp_path: Path) -> None:
    orders = write(tmp_path / "orders.csv", SMALL, header="ts,id,agent,action,side,type,price,qty")
    proc = hollow("book", "replay", str(orders), "--out", str(tmp_path / "f.csv"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "expected the header" in proc.stderr and "Traceback" not in proc.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(HollowError, match="empty file"):
        replay_file(empty, tmp_path / "f.csv", None)


def test_deterministic_byte_identical_outputs(tmp_path: Path) -> None:
    rows = []
    price = 1000
    for i in range(1, 3001):  # a deterministic churn of adds, cancels, markets and replaces
        price += (i * 7919) % 5 - 2
        kind = i % 10
        side = "buy" if (i * 31) % 2 else "sell"
        if kind < 6:
            px = price - 1 - i % 4 if side == "buy" else price + 1 + i % 4
            rows.append(f"{i},{i},agent{i % 5},add,{side},limit,{px},{1 + i % 9}")
        elif kind < 8:
            rows.append(f"{i},{i - 3},,cancel,,,,")
        elif kind == 8:
            rows.append(f"{i},{i},agent{i % 5},add,{side},market,,{5 + i % 20}")
        else:
            rows.append(f"{i},{i - 5},,replace,,,{price},{1 + i % 4}")
    orders = write(tmp_path / "orders.csv", rows, newline="\r\n")  # CRLF tolerated
    outs = []
    for run in ("a", "b"):
        proc = hollow("book", "replay", str(orders), "--out", str(tmp_path / f"{run}.csv"), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outs.append(((tmp_path / f"{run}.csv").read_bytes(), (tmp_path / f"{run}.rejects.csv").read_bytes()))
    assert outs[0] == outs[1]
    assert outs[0][0].count(b"\n") > 100  # the stream really trades


def test_band_limits_market_orders(tmp_path: Path) -> None:
    rows = [
        "1,1,a,add,sell,limit,100,1",
        "2,2,a,add,sell,limit,101,1",
        "3,3,a,add,sell,limit,105,1",
        "4,4,b,add,buy,market,,3",  # with --band 2: fills 100 and 101, not 105
        "5,5,b,add,buy,limit,110,1",  # last trade 101: 110 is out of band
    ]
    orders = write(tmp_path / "orders.csv", rows)
    proc = hollow("book", "replay", str(orders), "--out", str(tmp_path / "band.csv"), "--band", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "band.csv").read_text().splitlines()[1:] == ["4,4,1,100,1,buy", "4,4,2,101,1,buy"]
    assert (tmp_path / "band.rejects.csv").read_text().splitlines()[1:] == ["6,5,out_of_band"]
    proc = hollow("book", "replay", str(orders), "--out", str(tmp_path / "free.csv"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len((tmp_path / "free.csv").read_text().splitlines()) == 1 + 3  # no band: the market sweeps 105 too
    assert (tmp_path / "free.rejects.csv").read_text().splitlines()[1:] == []


def test_agent_names_hash_to_owners_for_stp(tmp_path: Path) -> None:
    rows = [
        "1,1,same,add,sell,limit,100,1",
        "2,2,same,add,buy,limit,100,1",  # same agent: STP cancels this taker
        "3,3,,add,sell,limit,100,1",
        "4,4,,add,buy,limit,100,2",  # anonymous (empty agent): never prevented
    ]
    result = replay_file(write(tmp_path / "o.csv", rows), tmp_path / "f.csv", None)
    assert result.fills == 2
    assert (tmp_path / "f.csv").read_text().splitlines()[1:] == ["4,4,1,100,1,buy", "4,4,3,100,1,buy"]


def test_long_lines_blank_lines_and_no_trailing_newline(tmp_path: Path) -> None:
    agent = "x" * 3_000_000  # longer than the C reader's block: the buffer must grow
    text = f"{HEADER}\n1,1,{agent},add,sell,limit,100,1\n\n2,2,b,add,buy,limit,100,1"
    (tmp_path / "o.csv").write_text(text)
    result = replay_file(tmp_path / "o.csv", tmp_path / "f.csv", None)
    assert (result.rows, result.fills, result.bad_rows) == (2, 1, 0)
    assert (tmp_path / "f.csv").read_text().splitlines()[1:] == ["2,2,1,100,1,buy"]


def test_replay_csv_is_the_engine_entry_point(tmp_path: Path) -> None:
    orders = write(tmp_path / "o.csv", SMALL)
    rows, fills, rejects, bad, messages = _engine.replay_csv(
        str(orders), str(tmp_path / "f.csv"), str(tmp_path / "r.csv"), 0
    )
    assert (rows, fills, rejects, bad, messages) == (11, 4, 1, 0, [])
    with pytest.raises(OSError):
        _engine.replay_csv(str(orders), str(tmp_path / "no" / "f.csv"), str(tmp_path / "r.csv"), 0)


def refused(capsys, *args: str) -> str:
    """`hollow ARGS` in-process: exit 2 and exactly one line on stderr; returns that line."""
    from tests.cli_support import assert_refused
    from tests.cli_support import hollow as run

    return assert_refused(run(capsys, *args))


def test_the_rejects_file_of_the_output_is_never_the_input(tmp_path: Path, capsys) -> None:
    """`replay day.rejects.csv --out day.csv` used to truncate its own input."""
    orders = write(tmp_path / "day.rejects.csv", SMALL)
    before = orders.read_bytes()
    line = refused(capsys, "book", "replay", str(orders), "--out", str(tmp_path / "day.csv"))
    assert "rejects file" in line and "would overwrite the input" in line
    assert orders.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["day.rejects.csv"]


@pytest.mark.parametrize("link", ["hard", "soft", "spelling"])
def test_an_output_that_is_the_input_under_another_name_is_refused(tmp_path: Path, capsys, link: str) -> None:
    orders = write(tmp_path / "orders.csv", SMALL)
    before = orders.read_bytes()
    out = tmp_path / "out.csv"
    if link == "hard":
        os.link(orders, out)
    elif link == "soft":
        out.symlink_to(orders)
    else:
        (tmp_path / "sub").mkdir()
        out = tmp_path / "sub" / ".." / "orders.csv"
    line = refused(capsys, "book", "replay", str(orders), "--out", str(out))
    assert "would overwrite the input" in line
    assert orders.read_bytes() == before


@pytest.mark.parametrize(
    ("out", "needle"),
    [("", "--out '': empty path"), (".", "is a folder"), ("missing/f.csv", "does not exist"),
     ("orders.csv/f.csv", "a part of this path is a file"), ("/proc/hollow-test.csv", "nothing was written")],
    ids=["empty", "folder", "no-folder", "under-a-file", "unwritable"],
)
def test_bad_outputs_are_one_line_and_write_nothing(tmp_path: Path, capsys, monkeypatch, out: str, needle: str) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "orders.csv", SMALL)
    assert needle in refused(capsys, "book", "replay", "orders.csv", "--out", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]


def test_a_band_beyond_int64_is_a_flag_error(tmp_path: Path, capsys) -> None:
    orders = write(tmp_path / "orders.csv", SMALL)
    assert "--band" in refused(capsys, "book", "replay", str(orders), "--out", str(tmp_path / "f.csv"), "--band", str(2**70))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]


def test_utf16_orders_are_not_utf8_text(tmp_path: Path, capsys) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("\n".join([HEADER, *SMALL]) + "\n", encoding="utf-16")
    line = refused(capsys, "book", "replay", str(orders), "--out", str(tmp_path / "f.csv"))
    assert "not UTF-8 text: it is UTF-16" in line and "codec" not in line


def test_messages_never_end_inside_a_character(tmp_path: Path, capsys) -> None:
    header = "ts_ns,order_id,agent,action,side,type,p" + "é" * 10 + ",x"  # byte 40 falls inside an 'é'
    orders = write(tmp_path / "h.csv", [], header=header)
    line = refused(capsys, "book", "replay", str(orders), "--out", str(tmp_path / "f.csv"))
    assert "got 'ts_ns,order_id,agent,action,side,type,p...'" in line and "codec" not in line and "\ufffd" not in line
    bad = write(tmp_path / "b.csv", ["1,1,a,add,buy,limit," + "1" * 37 + "éé,5"])
    result = replay_file(bad, tmp_path / "f.csv", None)
    assert result.bad_row_messages == ("line 2: price_ticks '" + "1" * 37 + "é...' is not an integer",)
    (tmp_path / "f.rejects.csv").read_text(encoding="utf-8")  # valid UTF-8 throughout


def test_a_failed_replay_keeps_the_earlier_outputs_whole(tmp_path: Path) -> None:
    fills = tmp_path / "f.csv"
    fills.write_text("earlier\n")
    bad = write(tmp_path / "o.csv", SMALL, header="not,the,header")
    with pytest.raises(HollowError, match="expected the header"):
        replay_file(bad, fills, None)
    assert fills.read_text() == "earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv", "o.csv"]  # no temporary files
