"""The daily table's balance figures equal `ledger.BalanceSheet.at` on every day of a run."""

import numpy as np

from hollow.ledger import BalanceSheet
from hollow.world.sheet import exact_sum, sheet
from hollow.world.timeline import World, days


def test_fast_sheet_equals_the_ledger_sheet_every_day(mini, cache):
    world = World(mini, cache)
    for day in days(mini):
        world.step(day)
        code = world.token.code
        weights = {code: world.token.weight_ppm(10**15)}
        fire = {code: world.token.fire_sale_minor(), "VENTURE": 200_000}
        ref = BalanceSheet.at(world.books.journal, world.prices, weights_ppm=weights, fire_sale_prices_minor=fire)
        fast = sheet(world.books, world.prices, weights, fire)
        for name, value in fast.items():
            expected = ref.shortfall_by_asset.get("USD", 0) if name == "usd_shortfall" else getattr(ref, name)
            assert value == expected, (day, name)


def test_exact_sum_never_wraps():
    big = np.array([2**62, 2**62, 2**62, -5], dtype=np.int64)
    assert exact_sum(big) == 3 * 2**62 - 5
    assert exact_sum(np.array([], dtype=np.int64)) == 0
