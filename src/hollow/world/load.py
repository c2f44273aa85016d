"""Find, read, override and check a scenario: every problem is one `ScenarioError` naming the file (or
`--set`), the field and the reason, raised before anything runs or is written."""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources

from pydantic import ValidationError

from hollow.config import (  # the one wording of a field problem, shared with the regime loader
    _field_path,
    _reason,
)
from hollow.errors import ScenarioError
from hollow.io.paths import input_file
from hollow.io.text import decode_utf8
from hollow.world import data, overrides
from hollow.world.scenario import Scenario


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    source: str  # the file, or "builtin:<name>"
    sha256: str  # of the file's bytes
    overrides: tuple[str, ...]


def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario name -> TOML text (package data)."""
    folder = resources.files("hollow").joinpath("scenarios")
    return {p.name.removesuffix(".toml"): p.read_text(encoding="utf-8") for p in sorted(folder.iterdir(), key=lambda p: p.name)
            if p.name.endswith(".toml")}


def load_scenario(ref: str, sets: Sequence[str] = ()) -> LoadedScenario:
    """A built-in scenario by name (`ftx`) or a TOML file by path, with `--set` overrides applied."""
    builtins = builtin_scenarios()
    if ref in builtins:
        source, raw = f"builtin:{ref}", builtins[ref].encode()
    else:
        path = input_file(ref)
        source = str(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ScenarioError(source, "(file)", f"cannot read: {exc.strerror or exc}") from None
    try:
        text = decode_utf8(raw)
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "(file)", f"not valid TOML: {exc}") from None
    except ValueError as exc:
        raise ScenarioError(source, "(file)", str(exc)) from None
    table, parsed = overrides.apply(table, sets, Scenario)
    try:
        scenario = Scenario.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        reason = _reason(first) + more
        hit = overrides.owner(first["loc"], parsed)
        if hit is not None:
            raise ScenarioError(overrides.FLAG, f"{hit[0]}={hit[1]}", reason) from None
        raise ScenarioError(source, _field_path(first["loc"]), reason) from None
    for field, reason in problems(scenario):
        hit = overrides.owner(tuple(int(p) if p.isdigit() else p for p in field.split(".")), parsed)
        raise ScenarioError(overrides.FLAG if hit else source, field, reason)
    return LoadedScenario(scenario, source, hashlib.sha256(raw).hexdigest(), tuple(sets))


def problems(s: Scenario) -> Iterator[tuple[str, str]]:
    """Cross-field problems (dates against each other and the price data, sources), field first."""
    first, last = data.price_range(s.sessions.vol_asset)
    window = f"the scenario ({s.start} to {s.end})"
    if s.start < first:
        yield "start", f"{s.start} is before the price data ({s.sessions.vol_asset} starts {first})"
    if s.end > last:
        yield "end", f"{s.end} is after the price data ({s.sessions.vol_asset} ends {last})"
    if s.end < s.start:
        yield "end", f"{s.end} is before start {s.start}"
    yield from _schedule(s)

    def inside(field: str, day: dt.date | None) -> Iterator[tuple[str, str]]:
        if day is not None and not s.start <= day <= s.end:
            yield field, f"{day} is outside {window}"

    def listed(field: str, code: str, day: dt.date) -> Iterator[tuple[str, str]]:
        since = data.price_range(code)[0]
        if day < since:
            yield field, f"{code} has no price before {since} (its listing), got {day}"

    targets = data.calibration_targets()

    def cited(field: str, row: str | None) -> Iterator[tuple[str, str]]:
        if row is not None and row not in targets:
            yield field, f"{row!r} is not a row id of calibration_targets.csv"

    for i, shock in enumerate(s.run.shocks):
        yield from inside(f"run.shocks.{i}.date", shock.date)
        yield from cited(f"run.shocks.{i}.source", shock.source)
    for i, day in enumerate(s.stress.days):
        yield from inside(f"stress.days.{i}.date", day.date)
        yield from listed(f"stress.days.{i}.date", day.asset, day.date)
        if day.asset != s.sessions.regime.instrument.base and day.asset not in s.stress.instruments:
            yield f"stress.days.{i}.asset", f"no [stress.instruments.{day.asset}] to trade it on"
    for i, lender in enumerate(s.lenders):
        for what in ("draws", "repayments", "recalls"):
            for k, event in enumerate(getattr(lender, what)):
                yield from inside(f"lenders.{i}.{what}.{k}.date", event.date)
    for kind, items in (("spending", s.spending), ("longs", s.longs)):
        for i, item in enumerate(items):
            yield from inside(f"{kind}.{i}.start", item.start)
            yield from inside(f"{kind}.{i}.end", item.end)
            if item.end is not None and item.end < item.start:
                yield f"{kind}.{i}.end", f"{item.end} is before start {item.start}"
            yield from cited(f"{kind}.{i}.source", item.source)
    for i, long in enumerate(s.longs):
        yield from listed(f"longs.{i}.start", long.asset, long.start)
        yield from inside(f"longs.{i}.sell_on", long.sell_on)
        if long.sell_on is not None and long.sell_on < (long.end or long.start):
            yield f"longs.{i}.sell_on", f"{long.sell_on} is before the last purchase"
    t = s.token
    yield from listed("token.launch", t.code, t.launch)
    for field in ("rival_date", "rival_sale_start"):
        yield from inside(f"token.{field}", getattr(t, field))
    if t.rival_units and t.rival_date is None:
        yield "token.rival_date", "rival_units are set, so the day the rival receives them is needed"


def _schedule(s: Scenario) -> Iterator[tuple[str, str]]:
    """The pieces cover start..end exactly: no gap, no overlap, in order."""
    pieces = s.schedule
    if pieces[0].start != s.start:
        yield "schedule.0.start", f"the schedule must begin on the scenario's start {s.start}, got {pieces[0].start}"
    for i, p in enumerate(pieces):
        if p.end < p.start:
            yield f"schedule.{i}.end", f"{p.end} is before its start {p.start}"
        if i:
            prev = pieces[i - 1]
            if p.start <= prev.end:
                yield f"schedule.{i}.start", f"{p.start} overlaps schedule.{i - 1} ({prev.name}, which ends {prev.end})"
            elif p.start > prev.end + dt.timedelta(days=1):
                gap_to = p.start - dt.timedelta(days=1)
                yield f"schedule.{i}.start", f"gap: no regime from {prev.end + dt.timedelta(days=1)} to {gap_to}"
    if pieces[-1].end != s.end:
        yield f"schedule.{len(pieces) - 1}.end", f"the schedule must end on the scenario's end {s.end}, got {pieces[-1].end}"

