"""Configuration primitives every layer's settings share: strict pydantic models, typed numbers, TOML loading.

It sits beside `money.py` at the bottom of the package, so each agent's or risk component's config
can live beside its code without importing a higher layer's schema.

Types are strict (`true` is not a number, `"yes"` is not a bool, `2.0` is not a count), numbers are
finite and at most 2**53 in magnitude (`*_bps` at most 100%, `*_usd` at most $100bn and exact to
the micro-dollar), and times in s/ms/us must convert to a whole number of
nanoseconds between 1 ns and a year: whatever passes can be converted to int64 without wrapping.
"""

from __future__ import annotations

import tomllib
import types
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from hollow.errors import ScenarioError
from hollow.io.bounds import MAX_MAGNITUDE
from hollow.io.paths import input_file, safe_name
from hollow.io.text import clip, decode_utf8
from hollow.money import MAX_DECIMALS, PPM

M = TypeVar("M", bound=BaseModel)

MAX_SPAN_NS = 366 * 24 * 3600 * 10**9  # no interval or delay beyond a year: times stay far inside int64 ns
MAX_LATENCY_NS = 60 * 10**9  # a link slower than a minute is not a latency; jitter and multipliers stay small
MAX_USD = 10**11
"""$100bn: more than any exchange held. Forty such amounts in micro-dollars still fit the ledger's
2**62 bound on a balance, so sums of a few fields cannot wrap."""
USD_STEP = Decimal("0.000001")  # any `*_usd` Decimal field is exact to the micro-dollar, USD's minor unit
MAX_BPS = 10_000
"""Any `*_bps` field: 100% (of a price, a fee). More means nothing, and would push a quote's price
through zero or past int64."""
NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "min": 60 * 10**9}

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
PositiveInt = Annotated[int, Field(gt=0, le=MAX_MAGNITUDE)]
Count = Annotated[int, Field(ge=0, le=10_000)]
UsdAmount = Annotated[Decimal, Field(ge=0, le=MAX_USD, decimal_places=6)]  # money: exact, to the micro-dollar
Percent = Annotated[Decimal, Field(gt=0, lt=100, decimal_places=4)]  # exact in parts per million
Seed = Annotated[int, Field(ge=0, le=MAX_MAGNITUDE)]
Name = Annotated[str, AfterValidator(safe_name)]  # it becomes a folder name


def _time(unit: str, *, positive: bool, most_ns: int = MAX_SPAN_NS) -> Any:
    """A float time in `unit` that converts (as the consumers do, `int(value * ns_per_unit)`) to at
    least 1 ns when `positive` (an interval of 0 ns would never let simulated time advance) and to at
    most `most_ns`."""
    per = NS_PER_UNIT[unit]

    def check(value: float) -> float:
        if value * per > most_ns:  # compared as floats first: 1e300 s is no int
            raise ValueError(f"{value:g} {unit} is more than the longest allowed, {most_ns / per:g} {unit}")
        if positive and int(value * per) < 1:
            raise ValueError(f"{value:g} {unit} is less than 1 ns, the clock's step (the least is {1 / per:g} {unit})")
        return value

    return Annotated[float, Field(gt=0) if positive else Field(ge=0), AfterValidator(check)]


IntervalS = _time("s", positive=True)
IntervalMs = _time("ms", positive=True)
IntervalMin = _time("min", positive=True)
DelayS = _time("s", positive=False)
DelayMs = _time("ms", positive=False)
LatencyUs = _time("us", positive=True, most_ns=MAX_LATENCY_NS)
LatencyMs = _time("ms", positive=True, most_ns=MAX_LATENCY_NS)


def _show(value: Any) -> str:
    """A value as the TOML file spelled it, clipped: `true`, `"yes"`, `1e+300`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return clip(repr(value), 60)
    if isinstance(value, (dict, list)):
        return "a table" if isinstance(value, dict) else "an array"
    return clip(str(value), 60)


def _check_magnitude(value: Any) -> None:
    """Every number in a validated value (a sub-model checks its own): at most MAX_MAGNITUDE."""
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_magnitude(item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_magnitude(item)
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"{_show(value)} is beyond 2**53, the largest number a field may hold")


def _as_decimal(value: Any) -> Any:
    """A TOML number or string as a Decimal checked for size; anything else is left for the strict check."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return value
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        return value
    if not number.is_finite():
        raise ValueError(f"must be a finite number, got {_show(value)}")
    if abs(number) > MAX_MAGNITUDE:
        raise ValueError(f"{_show(value)} is beyond 2**53, the largest number a field may hold")
    if number and number.normalize().as_tuple().exponent < -MAX_DECIMALS:
        raise ValueError(f"{_show(value)} has more than {MAX_DECIMALS} digits after the point")
    return number


def _decimals(annotation: Any, value: Any) -> Any:
    """Converts the Decimal parts of a raw value (a Decimal field, Optional, list or dict of them)."""
    if annotation is Decimal:
        return _as_decimal(value)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _decimals(args[0], value)
    if origin in (Union, types.UnionType) and value is not None:
        for arg in args:
            if arg is not type(None):
                value = _decimals(arg, value)
        return value
    if origin is list and isinstance(value, list):
        return [_decimals(args[0], item) for item in value]
    if origin is dict and isinstance(value, dict):
        return {key: _decimals(args[1], item) for key, item in value.items()}
    return value


class Strict(BaseModel):
    """Unknown keys are refused, so a typo never silently falls back to a default; types are strict
    (a TOML int is still a float), numbers finite; Decimal fields take TOML numbers or strings."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _decimal_input(cls, value: Any, info: ValidationInfo) -> Any:
        return _decimals(cls.model_fields[info.field_name].annotation, value)

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, value: Any, info: ValidationInfo) -> Any:
        _check_magnitude(value)
        name, number = info.field_name, isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
        if number and name.endswith("_bps") and abs(value) > MAX_BPS:
            raise ValueError(f"{_show(value)} bps is more than 100% ({MAX_BPS:,} bps)")
        if number and name.endswith("_usd"):
            if abs(value) > MAX_USD:
                raise ValueError(f"{_show(value)} USD is more than the largest amount hollow takes, {MAX_USD:,} USD")
            if isinstance(value, Decimal) and value != value.quantize(USD_STEP, rounding=ROUND_DOWN):
                raise ValueError(f"{value} USD is finer than a micro-dollar (at most 6 digits after the point)")
        return value


def to_ppm(value: Decimal, what: str) -> int:
    """A fraction as integer parts per million, refusing anything finer."""
    scaled = Decimal(value) * PPM
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} {value} is finer than one part per million")
    return int(scaled)


def _field_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


_EXPECTED = {
    "bool_type": "true or false",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "string_type": "a string",
    "is_instance_of": "a number or a decimal string",
    "decimal_type": "a number or a decimal string",
    "model_type": "a table",
    "dict_type": "a table",
    "list_type": "an array",
    "literal_error": None,
}


def _reason(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (a typo, or an agent class hollow does not have)"
    if kind == "missing":
        return "required field is missing"
    if kind == "finite_number":
        return f"must be a finite number, got {_show(error['input'])}"
    if _EXPECTED.get(kind):
        return f"expected {_EXPECTED[kind]}, got {_show(error['input'])}"
    return error["msg"].removeprefix("Value error, ")


def load_toml_model(path: Path | str, model: type[M]) -> M:
    """Read a TOML file into a pydantic model; any problem becomes a `ScenarioError` naming file and field."""
    path = input_file(path)
    try:
        text = decode_utf8(path.read_bytes())
    except OSError as exc:
        raise ScenarioError(str(path), "(file)", f"cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ScenarioError(str(path), "(file)", str(exc)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "(file)", f"not valid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ScenarioError(str(path), _field_path(first["loc"]), _reason(first) + more) from None
