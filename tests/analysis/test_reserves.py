"""The Merkle sum tree, its proofs and tamper checks, `hollow audit` / `hollow verify`, and the monthly ratios."""

import copy
import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hollow.analysis import reserves
from hollow.analysis.merkle import ProofError, SumTree, verify
from hollow.analysis.run import RunTables
from tests.cli_support import hollow

SALT = "ab" * 16


def _tree(balances):
    return SumTree.build(["BTC", "USD"], [(f"c{i}", SALT, b) for i, b in enumerate(balances)])


@given(st.lists(st.lists(st.integers(0, 2**40), min_size=2, max_size=2), min_size=1, max_size=20), st.data())
def test_every_proof_verifies_to_the_total(balances, data):
    tree = _tree(balances)
    assert tree.root[1] == [sum(b[0] for b in balances), sum(b[1] for b in balances)]
    i = data.draw(st.integers(0, len(balances) - 1))
    assert verify(tree.proof(i, SALT, "2022-11-01"), tree.root[0]) == tree.root[1]


def _tamper(proof, how):
    p = copy.deepcopy(proof)
    if how == "leaf balance":
        p["leaf"]["balances"][1] += 1
    elif how == "sibling hash":
        p["path"][0]["hash"] = "00" * 32
    elif how == "sibling sum":
        p["path"][1]["sums"][1] -= 5
        p["root"]["sums"][1] -= 5
    elif how == "leaf index":
        p["leaf"]["index"] ^= 1
    elif how == "out of range":
        p["leaf"]["index"] = p["leaf_count"]
    elif how == "negative":
        p["leaf"]["balances"][0] = -1
    elif how == "too large":
        p["leaf"]["balances"][0] = 2**63
    elif how == "root":
        p["root"]["hash"] = "11" * 32
    return p


@pytest.mark.parametrize("how,check", [("leaf balance", "root sums"), ("sibling hash", "root hash"),
                                       ("sibling sum", "root hash"), ("leaf index", "root hash"),
                                       ("out of range", "index"), ("negative", "range"), ("too large", "range"),
                                       ("root", "root hash")])
def test_a_tampered_proof_fails_the_named_check(how, check):
    tree = _tree([[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]])
    proof = tree.proof(2, SALT, "2022-11-01")
    verify(proof)
    with pytest.raises(ProofError) as failed:
        verify(_tamper(proof, how))
    assert failed.value.check == check


def test_a_negative_leaf_is_refused_when_building():
    with pytest.raises(ProofError, match="range"):
        _tree([[1, 2], [-1, 5]])


def test_audit_matches_the_daily_sheet(mini_dir):
    run = RunTables(mini_dir)
    day = dt.date(2022, 11, 3)
    a = reserves.audit(run, day)
    owed, custody = run.rows("select customer_liabilities_minor, custody_minor from daily where date = ?", [day])[0]
    assert a.liabilities_minor == owed and a.reserves_flattering_minor == custody
    assert a.reserves_honest_minor < custody and a.liabilities_flattering_minor <= owed
    assert a.ratio_ppm() < a.ratio_ppm(False)


def test_monthly_ratios_and_the_first_honest_hole(mini_dir):
    run = RunTables(mini_dir)
    rows = reserves.monthly(run)
    assert [r["date"].month for r in rows] == [9, 10, 11]
    assert all(r["honest_ppm"] <= r["flattering_ppm"] for r in rows)
    first = reserves.first_hole(rows)
    assert first is not None and next(r for r in rows if r["date"] == first)["honest_ppm"] < 1_000_000


def test_audit_and_verify_from_the_command_line(capsys, mini_dir, tmp_path):
    proof = tmp_path / "p.json"
    code, out, err = hollow(capsys, "audit", str(mini_dir), "--date", "2022-11-03", "--customer", "customer:desk:arbitrageur",
                            "--proof-out", str(proof))
    assert code == 0, err
    assert "root " in out and "reserves honest" in out and "flattering" in out
    assert hollow(capsys, "verify", str(proof))[0] == 0
    data = json.loads(proof.read_text())
    data["path"][0]["hash"] = "00" * 32
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    code, _, err = hollow(capsys, "verify", str(bad))
    assert code == 1 and "root hash" in err and len(err.splitlines()) == 1
    assert hollow(capsys, "verify", str(proof), "--root", "22" * 32)[0] == 1


@pytest.mark.parametrize("args,needle", [(["--date", "2030-01-01"], "outside the run"),
                                         (["--date", "nope"], "not a date"),
                                         (["--date", "2022-11-03", "--customer", "customer:nobody"], "no customer")])
def test_bad_audit_input_is_one_line_and_writes_nothing(capsys, mini_dir, tmp_path, args, needle):
    code, _, err = hollow(capsys, "audit", str(mini_dir), *args, "--proof-out", str(tmp_path / "p.json"))
    if "--customer" not in args:
        code, _, err = hollow(capsys, "audit", str(mini_dir), *args)
    assert code == 2 and needle in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_not_a_run_is_refused(capsys, tmp_path):
    code, _, err = hollow(capsys, "audit", str(tmp_path), "--date", "2022-11-03")
    assert code == 2 and len(err.splitlines()) == 1
