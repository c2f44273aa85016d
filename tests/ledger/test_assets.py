"""The asset registry a scenario extends at run time, and journals over registered assets."""

from __future__ import annotations

import pytest

from hollow.errors import LedgerError
from hollow.ledger import BalanceSheet, Custody, Journal, open_standard_accounts
from hollow.money import ASSETS, USD, Asset, asset, register_asset


def test_built_ins_are_as_before() -> None:
    assert asset("USD") == USD == Asset("USD", 6) and USD.scale == 10**6
    for code in ("BTC", "ETH", "SOL", "FTT", "LUNA"):
        assert asset(code) == Asset(code, 8, liquid=True)


def test_register_then_look_up() -> None:
    stake = register_asset("TEST_STAKE_A", 0, liquid=False)
    assert asset("TEST_STAKE_A") is stake and stake == Asset("TEST_STAKE_A", 0, liquid=False)
    assert register_asset("TEST_STAKE_A", 0, liquid=False, exist_ok=True) is stake  # a scenario run twice


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("BTC", 8), {}, "already registered"),  # duplicate of a built-in
        (("BTC", 8), {"exist_ok": True, "liquid": False}, "already registered with decimals=8, liquid=True"),
        (("USD", 2), {"exist_ok": True}, "a code always means one asset"),
        (("usd_low", 6), {}, "upper-case"),
        (("", 6), {}, "upper-case"),
        ((5, 6), {}, "upper-case"),
        (("X" * 33, 6), {}, "upper-case"),
        (("TEST_BAD", -1), {}, "decimals must be an int in \\[0, 18\\]"),
        (("TEST_BAD", 19), {}, "decimals"),
        (("TEST_BAD", True), {}, "decimals"),
        (("TEST_BAD", 6.0), {}, "decimals"),
        (("TEST_BAD", 6), {"liquid": "no"}, "liquid must be True or False"),
        (("TEST_BAD", 6), {"exist_ok": 1}, "exist_ok"),
    ],
)
def test_bad_or_conflicting_registrations_are_refused(args, kwargs, match) -> None:
    before = dict(ASSETS)
    with pytest.raises(ValueError, match=match):
        register_asset(*args, **kwargs)
    assert ASSETS == before


def test_conflict_with_an_earlier_scenario_asset_is_refused() -> None:
    register_asset("TEST_TOKEN_B", 8)
    with pytest.raises(ValueError, match="already registered with decimals=8"):
        register_asset("TEST_TOKEN_B", 6, exist_ok=True)
    assert asset("TEST_TOKEN_B").decimals == 8


def test_lookup_errors_are_value_errors() -> None:
    for code in ("DOGE", None, ["USD"]):
        with pytest.raises(ValueError, match="unknown asset"):
            asset(code)  # type: ignore[arg-type]


def test_journal_over_registered_assets_and_default_liquidity() -> None:
    register_asset("TEST_LOCKED_SOL", 8, liquid=False, exist_ok=True)
    j = Journal(("USD",))
    with pytest.raises(LedgerError, match="unknown asset 'TEST_NOT_YET'"):
        j.add_asset("TEST_NOT_YET")
    j.add_asset("TEST_LOCKED_SOL")
    ids = open_standard_accounts(j)
    alice = j.open_account("customer:alice", "customer", "retail")
    c = Custody(j)
    c.deposit(0, alice, "USD", 100 * 10**6)
    c.deposit(0, alice, "TEST_LOCKED_SOL", 10 * 10**8)
    s = BalanceSheet.at(j, {"TEST_LOCKED_SOL": 30 * 10**6})
    assert s.custody_assets == 400 * 10**6
    assert s.liquid_custody == 100 * 10**6  # locked SOL is illiquid by registration
    assert s.hole == 0 and s.hole_liquid == 300 * 10**6
    assert BalanceSheet.at(j, {"TEST_LOCKED_SOL": 30 * 10**6}, liquid_assets={"USD", "TEST_LOCKED_SOL"}).hole_liquid == 0
    assert j.balance(ids["custody"], "TEST_LOCKED_SOL") == 10 * 10**8
    j.check()
