"""`--set a.b.c=value`: change any scenario field by its dotted path before the scenario is validated.

The path is checked against the schema first, so a field that does not exist is refused by name
(`schedule.2.arbitrageurs` indexes a list). The value is read as a TOML value (`5`, `1e9`, `true`,
`2020-06-01`, `"text"`), as nothing for `null` (an optional field left unset: `house.quoter_off_from=null`),
or as plain text when it is none of these, and then validated with the rest of the scenario, so a
wrong type is refused by the same strict rules as in the file.
"""

from __future__ import annotations

import copy
import tomllib
import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from hollow.errors import ScenarioError

FLAG = "--set"
Path = tuple[str | int, ...]


def _unwrap(annotation: Any) -> Any:
    """The type inside Annotated[...] and Optional[...]."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def parse(text: str) -> tuple[Path, str, Any]:
    """'a.b.0.c=value' -> (('a', 'b', 0, 'c'), 'a.b.0.c', value)."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ScenarioError(FLAG, text or "''", "expected FIELD.PATH=VALUE, e.g. house.fiat_routing=false")
    parts = name.split(".")
    if any(not p for p in parts):
        raise ScenarioError(FLAG, name, "a dotted path has an empty part")
    path = tuple(int(p) if p.isdigit() else p for p in parts)
    return path, name, _value(raw.strip())


def _value(raw: str) -> Any:
    if raw == "null":
        return None
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def check_path(model: type[BaseModel], path: Path, dotted: str) -> None:
    """Refuse a path that names no field of `model` (or indexes what is not a list)."""
    annotation: Any = model
    for depth, part in enumerate(path):
        here = ".".join(str(p) for p in path[:depth]) or "the scenario"
        annotation = _unwrap(annotation)
        origin = get_origin(annotation)
        if _is_model(annotation):
            fields = annotation.model_fields
            if not isinstance(part, str) or part not in fields:
                raise ScenarioError(FLAG, dotted, f"no field {part!r} in {here} (it has: {', '.join(fields)})")
            annotation = fields[part].annotation
        elif origin is list:
            if not isinstance(part, int):
                raise ScenarioError(FLAG, dotted, f"{here} is a list: index it with a number, not {part!r}")
            annotation = get_args(annotation)[0]
        elif origin is dict:
            annotation = get_args(annotation)[1]
        else:
            raise ScenarioError(FLAG, dotted, f"{here} is a value, it has no field {part!r}")


def _set(data: dict, path: Path, value: Any, dotted: str) -> None:
    node: Any = data
    for depth, part in enumerate(path[:-1]):
        here = ".".join(str(p) for p in path[: depth + 1])
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                size = len(node) if isinstance(node, list) else 0
                raise ScenarioError(FLAG, dotted, f"{here}: the list has {size} entries, there is no index {part}")
            node = node[part]
        else:
            node = node.setdefault(part, {})
        if not isinstance(node, (dict, list)):
            raise ScenarioError(FLAG, dotted, f"{here} is a value in the scenario, not a table")
    last = path[-1]
    if isinstance(last, int) and (not isinstance(node, list) or not 0 <= last < len(node)):
        raise ScenarioError(FLAG, dotted, f"there is no index {last} in that list")
    node[last] = value


def apply(data: dict, sets: Sequence[str], model: type[BaseModel]) -> tuple[dict, list[tuple[Path, str, Any]]]:
    """A copy of the raw scenario `data` with each override applied in order; returns it and the
    parsed overrides (path, dotted name, value)."""
    out = copy.deepcopy(data)
    parsed = [parse(s) for s in sets]
    for path, dotted, value in parsed:
        check_path(model, path, dotted)
        _set(out, path, value, dotted)
    return out, parsed


def owner(loc: tuple, parsed: Sequence[tuple[Path, str, Any]]) -> tuple[str, Any] | None:
    """The override (dotted name, value) a validation error at `loc` comes from, if any."""
    for path, dotted, value in reversed(parsed):
        if tuple(loc[: len(path)]) == path:
            return dotted, value
    return None
