"""Configuration primitives every layer's settings share: strict pydantic models, typed numbers, TOML loading.

It sits beside `money.py` at the bottom of the package, so each agent's or risk component's config
can live beside its code without importing a higher layer's schema.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hollow.errors import ScenarioError
from hollow.money import PPM

M = TypeVar("M", bound=BaseModel)

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
PositiveInt = Annotated[int, Field(gt=0)]
Count = Annotated[int, Field(ge=0, le=10_000)]
UsdAmount = Annotated[Decimal, Field(ge=0, decimal_places=6)]  # money: exact, to the micro-dollar
Percent = Annotated[Decimal, Field(gt=0, lt=100)]


class Strict(BaseModel):
    """Unknown keys are refused, so a typo never silently falls back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def to_ppm(value: Decimal, what: str) -> int:
    """A fraction as integer parts per million, refusing anything finer."""
    scaled = Decimal(value) * PPM
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} {value} is finer than one part per million")
    return int(scaled)


def _field_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def _reason(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (a typo, or an agent class hollow does not have)"
    if error["type"] == "missing":
        return "required field is missing"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def load_toml_model(path: Path | str, model: type[M]) -> M:
    """Read a TOML file into a pydantic model; any problem becomes a `ScenarioError` naming file and field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ScenarioError(str(path), "(file)", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), "(file)", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "(file)", f"not valid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ScenarioError(str(path), _field_path(first["loc"]), _reason(first) + more) from None
