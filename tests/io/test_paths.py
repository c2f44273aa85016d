"""Paths checked by identity, safe names, and outputs renamed into place only when whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hollow.errors import PathError
from hollow.io.paths import (
    atomic_files,
    input_file,
    output_file,
    refuse_inputs,
    safe_name,
)


def test_an_output_that_is_an_input_under_any_name_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("data")
    os.link(source, tmp_path / "hard.csv")
    (tmp_path / "soft.csv").symlink_to(source)
    (tmp_path / "sub").mkdir()
    for spelling in ("in.csv", "hard.csv", "soft.csv", "sub/../in.csv", "./in.csv"):
        with pytest.raises(PathError, match="would overwrite the input"):
            output_file(tmp_path / spelling, "--out", inputs=[source])
    assert source.read_text() == "data"
    other = tmp_path / "other.csv"
    other.write_text("x")
    assert output_file(other, "--out", inputs=[source]) == other  # an existing non-input may be replaced
    refuse_inputs(tmp_path / "absent.csv", [source], "--out")  # nothing there: nothing to refuse


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: "", "empty path"),
        (lambda p: str(p / "a\x00b"), "NUL byte"),
        (lambda p: str(p), "is a folder"),
        (lambda p: str(p / "missing" / "f.csv"), "does not exist"),
        (lambda p: str(p / "file.txt" / "f.csv"), "is a file, not a folder"),
    ],
    ids=["empty", "nul", "folder", "no-parent", "parent-is-file"],
)
def test_bad_outputs_are_one_reason(tmp_path: Path, make, reason: str) -> None:
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(PathError, match=reason) as info:
        output_file(make(tmp_path), "--out")
    assert str(info.value).startswith("--out ") and "\n" not in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PathError, match="cannot write into folder"):
            output_file(locked / "f.csv", "--out")
    finally:
        locked.chmod(0o700)


def test_inputs_must_be_readable_regular_files(tmp_path: Path) -> None:
    with pytest.raises(PathError, match="no such file"):
        input_file(tmp_path / "nope.toml")
    with pytest.raises(PathError, match="is a folder"):
        input_file(tmp_path)
    (tmp_path / "f").write_text("x")
    with pytest.raises(PathError, match="a part of this path is a file"):
        input_file(tmp_path / "f" / "g")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(PathError, match="not a regular file"):
        input_file(tmp_path / "fifo")


@pytest.mark.parametrize("name", ["../../x", "/abs", "a/b", "", ".hidden", "..", "a\x00b", "x" * 101, "sp ace", "é"])
def test_unsafe_names_are_refused_not_rewritten(name: str) -> None:
    with pytest.raises(ValueError, match="names the run's folder"):
        safe_name(name)


@pytest.mark.parametrize("name", ["2019_big_fish", "luna-crash.v2", "A1"])
def test_safe_names_pass_unchanged(name: str) -> None:
    assert safe_name(name) == name


def test_atomic_files_leave_nothing_on_error_and_replace_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_files([target]) as (temp,):
        temp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with atomic_files([target]) as (temp,):
        temp.write_text("new")
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
