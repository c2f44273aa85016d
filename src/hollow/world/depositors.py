"""Depositors and the run: a synthetic population of individual ledger accounts (heavy-tailed, Pareto
balances), driven by class for speed.

Each class's balances follow the schedule's customer balances (its share of them): every ordinary
day some accounts deposit (the churn plus the growth) and some withdraw (the churn plus any fall);
a deposit's USD part that comes by bank wire is routed to the house when fiat routing is on
(`route_deposit_to_house`'s three legs). After bad news each account also withdraws everything with
a daily hazard news * (1 + token * fall) + peers * outflow: it rises with bad news, more so the
further the token has fallen from its recent high, and with yesterday's withdrawals (strategic
complementarity, Diamond-Dybvig style); classes differ in sensitivity, so
institutions and trading firms can lead retail out. Requests are served in arrival order from
custody only, asset by asset; at the first request custody cannot pay the venue halts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hollow.config import to_ppm
from hollow.ledger import HOUSE_PAYABLE, HOUSE_RECEIVABLE
from hollow.ledger.journal import AccountKind
from hollow.market.kernel import stream
from hollow.money import PPM
from hollow.money import asset as lookup_asset
from hollow.sessions.apportion import apportion
from hollow.world.books import DEPOSITORS, TREASURY, Books
from hollow.world.scenario import DepositorClass, Scenario

WEIGHT_SCALE = 10**6
TopUp = Callable[[int, str, int], int]


def _exact(units: np.ndarray) -> int:
    """Sum of the positive balances, exactly (Python ints)."""
    return sum(units[units > 0].tolist())


@dataclass
class Cohort:
    name: str
    config: DepositorClass
    ids: np.ndarray  # account ids
    weights: np.ndarray  # integer Pareto weights (deposit sizes)


@dataclass
class Signals:
    """What depositors see on a day: news intensity, the token's log fall from its recent high, and
    yesterday's withdrawals as a share of what was owed."""

    news: float = 0.0
    token_fall: float = 0.0
    outflow: float = 0.0
    alert: bool = False  # bad news is fresh: no new deposits, the run's hazards apply


@dataclass
class Flows:
    deposits: int = 0  # USD value, minor units
    routed: int = 0
    withdrawals: int = 0
    unpaid: int = 0
    halted: bool = False
    run_withdrawals: dict[str, int] = field(default_factory=dict)  # by class, run days only


class Population:
    def __init__(self, books: Books, scenario: Scenario) -> None:
        self.books, self.scenario = books, scenario
        self.cohorts: list[Cohort] = []
        for name, cfg in sorted(scenario.depositors.items()):
            specs = [(f"customer:{name}:{i:06d}", AccountKind.CUSTOMER, name, {}) for i in range(cfg.accounts)]
            ids = np.array(books.journal.open_accounts(specs), dtype=np.int64)
            raw = stream(scenario.seed, "depositors", name).pareto(cfg.pareto_alpha, cfg.accounts) + 1.0
            weights = np.maximum(1, np.rint(raw * WEIGHT_SCALE)).astype(np.int64)
            self.cohorts.append(Cohort(name, cfg, ids, weights))

    def add_account(self, cls: str, account: int) -> None:
        """A trading desk of class `cls` joins that class's population (it runs with it)."""
        for c in self.cohorts:
            if c.name == cls and account not in c.ids:
                c.ids = np.append(c.ids, account)
                c.weights = np.append(c.weights, 0)  # it is funded by its traders, not by deposits

    @property
    def accounts(self) -> int:
        return sum(len(c.ids) for c in self.cohorts)

    # ------------------------------------------------------------------ a day

    def day(self, ts: int, day: dt.date, prices: dict[str, int], target: int, signals: Signals, routing: bool,
            requests: list[tuple[float, int, str, int, str]], top_up: TopUp) -> Flows:
        """Deposits, then withdrawals (ordinary, the run, and the given `requests`: (arrival in [0, 1),
        account, asset, units, class)) for `day`. Each class's balances move toward its share of
        `target` (the schedule's customer balances, USD minor units) by `pull_per_day` of the gap.
        When custody is short, `top_up(ts, asset, units)` may bring units in (the house returning
        money) before the venue halts."""
        rng = stream(self.scenario.seed, "depositors", day.isoformat())
        out = Flows()
        requests = list(requests)
        for c in self.cohorts:
            units, value = self._values(c.ids, prices)
            value[c.weights == 0] = 0.0  # desks keep their own capital
            held = sum(self._value(code, _exact(u[c.weights > 0]), prices) for code, u in units.items())
            want = target * to_ppm(c.config.share, "share") // PPM
            churn = held * to_ppm(c.config.churn_per_day, "churn_per_day") // PPM
            pull = (want - held) * to_ppm(c.config.pull_per_day, "pull_per_day") // PPM
            if not signals.alert:
                self._deposit(ts, c, rng, churn + max(0, pull), prices, routing, out)
            requests += self._ordinary(c, rng, churn + max(0, -pull), units, value)
            if signals.alert:
                requests += self._run(c, rng, signals, out)
        self._serve(ts, requests, prices, out, top_up)
        return out

    def _deposit(self, ts: int, c: Cohort, rng: np.random.Generator, usd: int, prices: dict[str, int], routing: bool,
                 out: Flows) -> None:
        if usd <= 0:
            return
        live = c.weights > 0
        pool, w = c.ids[live], c.weights[live]
        k = min(c.config.deposits_per_day, len(pool))
        pick = np.sort(rng.choice(len(pool), size=k, replace=False, p=w / w.sum()))
        amounts = apportion(w[pick].tolist(), usd, int(w[pick].sum()))
        mix = {a: to_ppm(x, "asset_mix") for a, x in sorted(c.config.asset_mix.items())}
        if "SOL" in mix and not prices.get("SOL"):  # not listed yet: that part comes in dollars
            mix["USD"] = mix.get("USD", 0) + mix.pop("SOL")
        fiat = to_ppm(c.config.fiat_share, "fiat_share")
        b = self.books
        src, treasury = b.id(DEPOSITORS), b.id(TREASURY)
        legs: list[tuple] = []
        for account, amount in zip(pool[pick].tolist(), amounts):
            for code, ppm in mix.items():
                value = amount * ppm // PPM
                units = value if code == "USD" else value * lookup_asset(code).scale // prices[code]
                if units <= 0:
                    continue
                wired = units * fiat // PPM if code == "USD" and routing else 0
                if wired:
                    legs += [(src, treasury, "USD", wired, "deposit", c.name), (b.claims, account, "USD", wired, "deposit", c.name),
                             (b.id(HOUSE_PAYABLE), b.id(HOUSE_RECEIVABLE), "USD", wired, "deposit:routed", c.name)]
                    out.routed += wired
                legs += b.onto_exchange(account, src, code, units - wired, "deposit", c.name)
                out.deposits += value
        b.post(ts, legs)

    def _values(self, ids: np.ndarray, prices: dict[str, int]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Each account's balances by asset and their total USD value (float, for choosing only)."""
        j = self.books.journal
        units = {code: j.balances(code)[ids] for code in ("USD", "BTC", "ETH", "SOL")}
        value = np.zeros(len(ids))
        for code, u in units.items():
            if prices.get(code):
                value += np.maximum(u, 0) * (prices[code] / lookup_asset(code).scale)
        return units, value

    def _ordinary(self, c: Cohort, rng: np.random.Generator, usd: int, units: dict[str, np.ndarray], value: np.ndarray) -> list[tuple]:
        """Requests worth about `usd`: accounts drawn by balance, each withdrawing a share of each asset."""
        if usd <= 0 or float(value.sum()) <= 0:
            return []
        held = np.flatnonzero(value > 0)
        k = min(c.config.withdrawals_per_day, len(held))
        pick = np.sort(rng.choice(held, size=k, replace=False, p=value[held] / value[held].sum()))
        fraction_ppm = int(min(1.0, usd / float(value[pick].sum())) * PPM)
        out = []
        for i in pick.tolist():
            for code, u in units.items():
                x = int(u[i]) * fraction_ppm // PPM
                if x > 0:
                    out.append((float(rng.random()), int(c.ids[i]), code, x, c.name))
        return out

    def _run(self, c: Cohort, rng: np.random.Generator, s: Signals, out: Flows) -> list[tuple]:
        """Everyone of the class whose hazard strikes today asks for everything."""
        r = c.config.run
        rate = self.scenario.run.base_hazard + r.news * s.news * (1.0 + r.token * s.token_fall) + r.peers * s.outflow
        hazard = 1.0 - math.exp(-rate)
        strikes = c.ids[rng.random(len(c.ids)) < hazard]
        j, reqs = self.books.journal, []
        for code in ("USD", "BTC", "ETH", "SOL"):
            bal = j.balances(code)[strikes]
            for account, x in zip(strikes[bal > 0].tolist(), bal[bal > 0].tolist()):
                reqs.append((float(rng.random()), account, code, x, c.name))
        out.run_withdrawals[c.name] = 0
        return reqs

    def _serve(self, ts: int, requests: list[tuple], prices: dict[str, int], out: Flows, top_up: TopUp) -> None:
        """Pay in arrival order from custody; the first request custody cannot pay (after `top_up`)
        halts the venue. Paid requests are posted before any top-up, so custody never goes short."""
        b = self.books
        requests.sort()
        left = {code: b.balance(b.custody, code) for code in ("USD", "BTC", "ETH", "SOL")}
        paid: dict[tuple[int, str], int] = {}
        legs: list[tuple] = []
        dest = b.id(DEPOSITORS)
        for k, (_, account, code, units, cls) in enumerate(requests):
            owned = b.journal.balance(account, code) - paid.get((account, code), 0)
            units = min(units, owned)
            if units <= 0:
                continue
            if units > left[code]:
                b.post(ts, legs)
                legs, paid = [], {}  # posted: the journal's balances now include them
                left[code] += top_up(ts, code, units - left[code])
            if units > left[code]:
                out.halted = True
                out.unpaid = sum(self._value(r[2], r[3], prices) for r in requests[k:])
                break
            left[code] -= units
            paid[(account, code)] = paid.get((account, code), 0) + units
            legs += b.off_exchange(account, dest, code, units, "withdrawal", cls)
            value = self._value(code, units, prices)
            out.withdrawals += value
            if cls in out.run_withdrawals:
                out.run_withdrawals[cls] += value
        b.post(ts, legs)

    @staticmethod
    def _value(code: str, units: int, prices: dict[str, int]) -> int:
        return units if code == "USD" else units * prices.get(code, 0) // lookup_asset(code).scale
