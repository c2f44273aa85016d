"""Paths from the command line, checked before any work starts.

Inputs must exist and be readable; outputs must be writable and never one of the inputs. "The same
file" means the same file on disk (device and inode), so a hard link, a symlink or another spelling of
an input is refused like the input itself. Outputs are written under temporary names beside their
targets and renamed into place only when complete, so an error or Ctrl-C leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from hollow.errors import PathError
from hollow.io.text import clip

__all__ = [
    "atomic_files",
    "file_id",
    "input_file",
    "output_file",
    "output_path",
    "refuse_inputs",
    "safe_name",
    "stat_or_none",
    "temp_name",
    "writable_folder",
]

NAME_MAX = 100  # characters of a name that becomes a folder name; leaves room under the 255-byte limit
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _path(text: str | os.PathLike[str], flag: str | None) -> Path:
    text = os.fspath(text)
    if not text.strip():
        raise PathError(text, "empty path", flag)
    if "\x00" in text:
        raise PathError(text, "a path cannot contain a NUL byte", flag)
    return Path(text)


def stat_or_none(path: Path, flag: str | None = None) -> os.stat_result | None:
    """`os.stat` (links followed), None when nothing is there; any other failure is a PathError."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise PathError(path, "a part of this path is a file, not a folder", flag) from None
    except OSError as exc:
        raise PathError(path, f"cannot be reached: {exc.strerror or exc}", flag) from None


def file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of what `path` names after following links; None when there is nothing there."""
    st = stat_or_none(path)
    return None if st is None else (st.st_dev, st.st_ino)


def input_file(text: str | os.PathLike[str], flag: str | None = None) -> Path:
    """A readable regular file, or a one-line PathError saying what is wrong with it."""
    path = _path(text, flag)
    st = stat_or_none(path, flag)
    if st is None:
        raise PathError(path, "no such file", flag)
    if stat.S_ISDIR(st.st_mode):
        raise PathError(path, "is a folder, not a file", flag)
    if not stat.S_ISREG(st.st_mode):
        raise PathError(path, "not a regular file", flag)
    if not os.access(path, os.R_OK):
        raise PathError(path, "not readable (check its permissions)", flag)
    return path


def writable_folder(folder: Path, what: Path, flag: str | None) -> None:
    """`folder` exists, is a folder and can be written into; else a PathError about `what`."""
    st = stat_or_none(folder, flag)
    if st is None:
        raise PathError(what, f"folder {folder} does not exist", flag)
    if not stat.S_ISDIR(st.st_mode):
        raise PathError(what, f"{folder} is a file, not a folder", flag)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PathError(what, f"cannot write into folder {folder} (check its permissions)", flag)


def output_path(text: str | os.PathLike[str], flag: str) -> Path:
    """A non-empty path without NUL bytes, as given (no other check)."""
    return _path(text, flag)


def refuse_inputs(output: Path, inputs: Iterable[Path], flag: str | None) -> None:
    """Refuse an output that is one of the inputs, by identity: links and other spellings count."""
    out_id = file_id(output)
    if out_id is None:
        return
    for source in inputs:
        if file_id(source) == out_id:
            how = "" if os.path.abspath(source) == os.path.abspath(output) else f" (the same file as {source})"
            raise PathError(output, f"would overwrite the input{how}; pick another {flag or 'output'}", flag)


def output_file(text: str | os.PathLike[str], flag: str, *, inputs: Sequence[Path] = ()) -> Path:
    """A file the command may create or replace: its folder is writable and it is none of `inputs`."""
    path = _path(text, flag)
    st = stat_or_none(path, flag)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise PathError(path, "is a folder; give a file name", flag)
    writable_folder(path.parent, path, flag)
    refuse_inputs(path, inputs, flag)
    return path


def safe_name(name: str) -> str:
    """`name` if it can be a folder name as it is (letters, digits, '.', '_', '-'); ValueError otherwise.

    Nothing is rewritten: two regimes whose names differ must never share a folder.
    """
    if not isinstance(name, str) or len(name) > NAME_MAX or not _SAFE_NAME.fullmatch(name):
        raise ValueError(
            f"must be 1-{NAME_MAX} letters, digits, '.', '_' or '-', starting with a letter or digit "
            f"(it names the run's folder), got {clip(repr(name), 80)}"
        )
    return name


def temp_name(target: Path, kind: str) -> Path:
    """A hidden, unique name beside `target`: same folder, so a rename into place is atomic."""
    return target.with_name(f".{target.name[:NAME_MAX]}.{os.getpid()}-{secrets.token_hex(4)}.{kind}")


@contextmanager
def atomic_files(targets: Sequence[Path]) -> Iterator[list[Path]]:
    """Yields a temporary path per target; on success each is renamed over its target, on any
    exception (Ctrl-C included) they are all removed and the targets are left as they were."""
    temps = [temp_name(t, "partial") for t in targets]
    try:
        yield temps
        for temp, target in zip(temps, targets):
            os.replace(temp, target)
    except BaseException:
        for temp in temps:
            temp.unlink(missing_ok=True)
        raise
