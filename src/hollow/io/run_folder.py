"""A run's output folder is either a whole run or absent, and says which files make it whole.

A run is written into a hidden temporary folder beside its target and renamed into place at the end,
so an error or a Ctrl-C at any moment leaves the target as it was (absent, or the earlier run). The
last file written is `manifest.json`: every other file's size and sha256. Readers call `verify_run`,
so a folder with a missing, extra or changed file is refused instead of read. A folder that holds an
earlier run is replaced only with `--force`; a folder that holds anything else is never replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from hollow.errors import PathError
from hollow.io.paths import (
    file_id,
    output_path,
    stat_or_none,
    temp_name,
    writable_folder,
)

__all__ = ["FORMAT", "MANIFEST", "RunFolder", "verify_run"]

MANIFEST = "manifest.json"
FORMAT = "hollow-run/1"


def _files(folder: Path) -> list[str]:
    """Every file under `folder` as a sorted posix relative path (the manifest's own name excluded)."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in names:
            rel = Path(root, name).relative_to(folder).as_posix()
            if rel != MANIFEST:
                found.append(rel)
    return sorted(found)


def _digest(path: Path, *, sync: bool = False) -> dict[str, Any]:
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise PathError(path, "a run folder may hold only regular files")
        digest = hashlib.file_digest(f, "sha256").hexdigest()
        if sync:
            os.fsync(f.fileno())
    return {"bytes": st.st_size, "sha256": digest}


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest if `folder` holds a hollow run's, else None (no manifest, not JSON, another format)."""
    try:
        data = json.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
        return None
    return data


def verify_run(folder: Path | str, flag: str | None = None) -> dict[str, Any]:
    """The manifest of a whole run; PathError naming the first file that is missing, extra or changed."""
    folder = Path(folder)
    st = stat_or_none(folder, flag)
    if st is None or not stat.S_ISDIR(st.st_mode):
        raise PathError(folder, "no such run folder", flag)
    manifest = _read_manifest(folder)
    if manifest is None:
        raise PathError(folder, f"not a hollow run: no valid {MANIFEST} (the run was interrupted, or this is another folder)", flag)
    listed, present = manifest["files"], _files(folder)
    for name in present:
        if name not in listed:
            raise PathError(folder, f"not a whole run: {name} is not listed in {MANIFEST}", flag)
    for name, expected in sorted(listed.items()):
        if name not in present:
            raise PathError(folder, f"not a whole run: {name} is missing", flag)
        if _digest(folder / name) != expected:
            raise PathError(folder, f"not a whole run: {name} changed after the run wrote it", flag)
    return manifest


class RunFolder:
    """Where one run goes. Created before the run, so a bad target is refused before any work:

        folder = RunFolder(target, force=force, inputs=[regime_file], meta={"seed": seed})
        result = run(...)
        folder.write(result.write)  # any function that writes files into the folder it is given
    """

    def __init__(
        self, target: Path | str, *, force: bool = False, inputs: Iterable[Path] = (),
        meta: Mapping[str, Any] | None = None, flag: str = "--out",
    ) -> None:
        self.target = output_path(target, flag)
        self.force, self.flag = force, flag
        self.inputs = list(inputs)
        self.meta = dict(meta or {})
        self._real = Path(os.path.realpath(self.target))  # a symlinked target is written where it points
        self.check()

    def _refuse(self, reason: str) -> PathError:
        return PathError(self.target, reason, self.flag)

    def _existing_ancestor(self) -> Path:
        for folder in self._real.parents:
            if stat_or_none(folder, self.flag) is not None:
                return folder
        return Path(self._real.anchor)

    def check(self) -> None:
        """Refuse a target that is a file, holds something other than a run, holds an earlier run
        (unless force), holds one of the inputs, or sits where nothing can be written."""
        st = stat_or_none(self._real, self.flag)
        cwd = Path.cwd().resolve()
        if self._real == cwd or self._real in cwd.parents:
            raise self._refuse("is the current folder or holds it; give a folder of its own")
        if st is None:
            writable_folder(self._existing_ancestor(), self.target, self.flag)
            return
        if not stat.S_ISDIR(st.st_mode):
            raise self._refuse("is a file, not a folder")
        writable_folder(self._real.parent, self.target, self.flag)
        if not os.listdir(self._real):
            return
        if _read_manifest(self._real) is None:
            raise self._refuse("holds files that are not a hollow run; refusing to replace it (pick another folder)")
        if not self.force:
            raise self._refuse("holds an earlier run; pass --force to replace it")
        ids = {file_id(p) for p in self.inputs} - {None}
        for name in _files(self._real):
            if file_id(self._real / name) in ids:
                raise self._refuse(f"holds {name}, an input of this run, which replacing the folder would delete")

    def _make_parents(self) -> list[Path]:
        """Creates the missing parents of the target; returns them, deepest first, for cleanup."""
        missing = [p for p in self._real.parents if stat_or_none(p, self.flag) is None]
        for folder in reversed(missing):
            folder.mkdir()
        return missing

    def write(self, writer: Callable[[Path], object]) -> Path:
        """Runs `writer(temp_folder)`, writes the manifest and renames the folder into place; on any
        exception (Ctrl-C included) removes what it made and leaves the target as it was."""
        created: list[Path] = []
        temp = temp_name(self._real, "partial")
        try:
            created = self._make_parents()
            temp.mkdir()
            writer(temp)
            files = {name: _digest(temp / name, sync=True) for name in _files(temp)}
            manifest = {"format": FORMAT, **self.meta, "files": files}
            (temp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            _fsync_dir(temp)
            self.check()  # again: something may have appeared at the target while the run ran
            self._swap(temp)
        except BaseException as exc:
            shutil.rmtree(temp, ignore_errors=True)
            for folder in created:
                try:
                    folder.rmdir()
                except OSError:
                    break
            if isinstance(exc, OSError):
                raise self._refuse(f"could not be written ({exc.strerror or exc}); nothing was written") from None
            raise
        return self.target

    def _swap(self, temp: Path) -> None:
        """Renames `temp` to the target; an existing (empty, or forced) target is moved aside first."""
        if stat_or_none(self._real, self.flag) is None:
            os.rename(temp, self._real)
        else:
            old = temp_name(self._real, "old")
            os.rename(self._real, old)
            try:
                os.rename(temp, self._real)
            except BaseException:
                os.rename(old, self._real)
                raise
            shutil.rmtree(old, ignore_errors=True)
        _fsync_dir(self._real.parent)
