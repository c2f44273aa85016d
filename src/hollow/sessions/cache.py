"""A disk cache of settled sessions, keyed by a hash of everything that determines them: the effective
regime, the path's anchors, the seed and the code version (a hash of hollow's own source files).

Entries are small JSON files written to a temporary name and renamed into place, so two runs (or two
sweep workers) sharing the cache never see half an entry; the one that writes second just replaces an
identical file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

import hollow

# what a session's result depends on: the layers at and below `sessions` (the world, the analysis and
# the report can change without invalidating a cached session)
SESSION_CODE = ("market", "risk", "agents", "ledger", "sessions", "money.py", "config.py", "errors.py")


@cache
def code_version() -> str:
    """sha256 of the Python and C sources a session runs on: a changed model is never served an old result."""
    root = Path(hollow.__file__).parent
    h = hashlib.sha256()
    files = [p for part in SESSION_CODE for p in ([root / part] if part.endswith(".py") else (root / part).rglob("*"))]
    for path in sorted(p for p in files if p.suffix in (".py", ".c") and "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def session_key(inputs: dict[str, Any]) -> str:
    """The cache key of a session: its canonical JSON inputs, the code version and numpy's (a
    `Generator`'s draws may change between numpy releases, NEP 19)."""
    blob = json.dumps({"inputs": inputs, "code": code_version(), "numpy": np.__version__}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class SessionCache:
    """Settled-session digests on disk (one JSON file per key) with an in-memory layer in front."""

    def __init__(self, directory: Path | str | None) -> None:
        self.directory = None if directory is None else Path(directory)
        self._memory: dict[str, dict] = {}
        self.hits = self.misses = 0

    def get(self, key: str) -> dict | None:
        found = self._memory.get(key)
        if found is None and self.directory is not None:
            try:
                found = json.loads((self.directory / f"{key}.json").read_text())
            except (FileNotFoundError, ValueError):  # absent, or not JSON / not UTF-8: run it again
                found = None
            if found is not None:
                self._memory[key] = found
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: str, digest: dict) -> dict:
        """Store a digest; returns it as every later `get` will (its JSON form: keys sorted), so a fresh
        result and a cached one are the same dict, down to the order that ties are broken in."""
        digest = json.loads(json.dumps(digest, sort_keys=True))
        self._memory[key] = digest
        if self.directory is None:
            return digest
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{key[:16]}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(digest, out, sort_keys=True, separators=(",", ":"))
            os.replace(tmp, self.directory / f"{key}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest
