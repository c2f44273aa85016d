"""Error types that the CLI turns into one clear line and a non-zero exit code."""

from __future__ import annotations


class HollowError(Exception):
    """A problem the user can fix: bad input, missing file, invalid configuration."""

    exit_code = 2


class ScenarioError(HollowError):
    """A scenario or regime file failed validation; names the file, the field and the reason."""

    def __init__(self, path: str, field: str, reason: str) -> None:
        self.path, self.field, self.reason = path, field, reason
        super().__init__(f"{path}: {field}: {reason}")


class LedgerError(HollowError):
    """A posting was refused; the ledger is unchanged."""

    exit_code = 1
