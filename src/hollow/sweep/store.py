"""A sweep folder: `sweep.json` (what was swept), `rows/<key>.parquet` (one small file per finished run)
and `summary.json` (the bands).

Each row file is written to a hidden temporary name and renamed into place, so a file under rows/ is
a whole row or absent: a sweep stopped at any moment resumes by skipping the keys it finds, and never
reads half a row. Rows are written as runs finish, so a sweep never holds them all in memory. The
folder belongs to one scenario (its name and sha256, the base overrides): another scenario's sweep
folder is refused rather than mixed in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hollow.errors import PathError
from hollow.io.paths import output_path, temp_name

FORMAT = "hollow-sweep/1"
META = "sweep.json"
ROWS = "rows"
SUMMARY = "summary.json"


def _types(row: dict[str, Any]) -> pa.Schema:
    kinds = {"key": pa.string(), "point": pa.string(), "seed": pa.int64()}
    fields = []
    for name in row:
        kind = kinds.get(name) or (pa.date32() if name.endswith("_date") else pa.int64())
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def _atomic_write(path: Path, write) -> None:
    temp = temp_name(path, "partial")
    try:
        write(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class SweepStore:
    """Open (or create) a sweep folder for `identity` (scenario name, sha256, base overrides)."""

    def __init__(self, target: Path | str, identity: dict[str, Any], source: str = "", flag: str = "--out") -> None:
        self.folder = output_path(target, flag)
        self.identity, self.source = identity, source
        meta_path = self.folder / META
        if self.folder.exists() and not self.folder.is_dir():
            raise PathError(self.folder, "is a file, not a sweep folder", flag)
        if self.folder.is_dir() and any(self.folder.iterdir()):
            try:
                found = json.loads(meta_path.read_text())
            except (OSError, ValueError):
                raise PathError(self.folder, f"holds files that are not a hollow sweep (no valid {META}); pick another folder", flag) from None
            if found.get("format") != FORMAT or found.get("identity") != identity:
                theirs = found.get("identity", {})
                raise PathError(self.folder, f"holds a sweep of another scenario or base ({theirs.get('scenario')!r}, "
                                             f"sha256 {str(theirs.get('sha256'))[:12]}, sets {theirs.get('sets')}); pick another folder", flag)

    def create(self) -> None:
        """Make the folder and its sweep.json (first run only)."""
        (self.folder / ROWS).mkdir(parents=True, exist_ok=True)
        if not (self.folder / META).exists():
            text = json.dumps({"format": FORMAT, "identity": self.identity, "source": self.source}, indent=2, sort_keys=True) + "\n"
            _atomic_write(self.folder / META, lambda p: p.write_text(text))

    def done(self) -> set[str]:
        """Keys of the rows already written (temporary files are not rows)."""
        folder = self.folder / ROWS
        if not folder.is_dir():
            return set()
        return {p.name.removesuffix(".parquet") for p in folder.iterdir() if p.name.endswith(".parquet") and not p.name.startswith(".")}

    def write_row(self, row: dict[str, Any]) -> None:
        """One run's row, whole or not at all."""
        table = pa.Table.from_pylist([row], schema=_types(row))
        _atomic_write(self.folder / ROWS / f"{row['key']}.parquet", lambda p: pq.write_table(table, p, compression="zstd"))

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every row, by key (one file at a time)."""
        for key in sorted(self.done()):
            yield from pq.read_table(self.folder / ROWS / f"{key}.parquet").to_pylist()

    def write_json(self, name: str, data: dict[str, Any]) -> Path:
        """summary.json, design.json, sensitivity.json: whole or absent."""
        path = self.folder / name
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        _atomic_write(path, lambda p: p.write_text(text))
        return path


def open_existing(folder: Path | str) -> dict[str, Any]:
    """A sweep folder's sweep.json (identity, source), for `hollow sensitivity`; PathError if it is not one."""
    folder = Path(folder)
    try:
        found = json.loads((folder / META).read_text())
    except (OSError, ValueError):
        raise PathError(folder, f"not a hollow sweep (no valid {META})") from None
    if found.get("format") != FORMAT:
        raise PathError(folder, f"not a hollow sweep ({META} has another format)")
    return found
