"""Error types that the CLI turns into one clear line and a non-zero exit code (see docs/errors.md)."""

from __future__ import annotations

import os

EXIT_OK = 0
EXIT_PROBLEMS = 1  # the command ran, but found problems in its input (malformed rows) or was refused a posting
EXIT_BAD_INPUT = 2  # nothing ran and nothing was written: a bad file, field, flag or output path
EXIT_INTERRUPTED = 130  # Ctrl-C: nothing was written (the shell convention, 128 + SIGINT)


class HollowError(Exception):
    """A problem the user can fix: bad input, missing file, invalid configuration."""

    exit_code = EXIT_BAD_INPUT


class ScenarioError(HollowError):
    """A scenario or regime file failed validation; names the file, the field and the reason."""

    def __init__(self, path: str, field: str, reason: str) -> None:
        self.path, self.field, self.reason = path, field, reason
        super().__init__(f"{path}: {field}: {reason}")


class PathError(HollowError):
    """A file or folder given on the command line cannot be used; names the flag (if any), the path and why."""

    def __init__(self, path: str | os.PathLike[str], reason: str, flag: str | None = None) -> None:
        self.path, self.reason, self.flag = os.fspath(path), reason, flag
        shown = self.path if self.path.strip() else repr(self.path)
        super().__init__(f"{flag} {shown}: {reason}" if flag else f"{shown}: {reason}")


class LedgerError(HollowError):
    """A posting was refused; the ledger is unchanged."""

    exit_code = EXIT_PROBLEMS
