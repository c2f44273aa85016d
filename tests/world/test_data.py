"""The shipped prices and record: complete, exact, and the figures the README quotes."""

import datetime as dt
from decimal import Decimal

import pytest

from hollow.world import data


@pytest.mark.parametrize("code", data.PRICE_ASSETS)
def test_every_day_has_one_row_to_the_end_of_2022(code):
    s = data.series(code)
    assert s.last == dt.date(2022, 12, 31)
    assert len(s.closes) == len(s.volumes) == (s.last - s.first).days + 1


def test_closes_are_exact_decimals_and_minor_units_round_half_even():
    price = data.close("FTT", dt.date(2022, 11, 8))
    assert isinstance(price, Decimal) and round(price, 2) == Decimal("5.47")
    minor = data.close_minor("FTT", dt.date(2022, 11, 8))
    assert abs(Decimal(minor) - price * 10**6) <= Decimal("0.5")


def test_known_facts_from_the_readme():
    assert round(data.close("LUNA", dt.date(2022, 5, 11)), 2) == Decimal("1.06")
    assert round(data.close("BTC", dt.date(2022, 6, 18))) == 19047
    assert data.close("SOL", dt.date(2020, 4, 10)) is None  # before listing
    assert data.open_price("BTC", dt.date(2022, 6, 19)) == data.close("BTC", dt.date(2022, 6, 18))


def test_realised_volatility_is_annualised_from_the_window():
    vol_2020_march = data.realised_vol("BTC", dt.date(2020, 3, 31), 30)
    vol_quiet = data.realised_vol("BTC", dt.date(2019, 11, 1), 30)
    assert vol_2020_march > 1.0 > vol_quiet > 0.2
    assert data.realised_vol("SOL", dt.date(2020, 4, 11), 30) == 0.0  # listing day: no returns yet


def test_the_record_is_indexed_by_row_id():
    rows = data.calibration_targets()
    assert rows["hole_debtors_shortfall"]["value"] == "8.9"
    assert "Nov 2 CoinDesk leak" in rows["run_timeline"]["value"]
