"""Run folders: whole or absent, with a manifest; an earlier run replaced only with force."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hollow.errors import PathError
from hollow.io.run_folder import FORMAT, MANIFEST, RunFolder, verify_run


def writer(files: dict[str, bytes]):
    def write(folder: Path) -> None:
        for name, data in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)

    return write


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_run_lands_whole_with_a_checksum_per_file(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "r-1"
    RunFolder(target, meta={"seed": 1}).write(writer({"a.parquet": b"A", "sub/b.json": b"{}"}))
    manifest = json.loads((target / MANIFEST).read_text())
    assert manifest["format"] == FORMAT and manifest["seed"] == 1
    assert manifest["files"]["a.parquet"] == {
        "bytes": 1, "sha256": "559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd"
    }
    assert set(manifest["files"]) == {"a.parquet", "sub/b.json"}
    assert verify_run(target) == manifest
    assert entries(tmp_path / "runs") == ["r-1"]  # no temporary folder left beside it


def test_same_run_same_manifest_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        RunFolder(tmp_path / name, meta={"seed": 3}).write(writer({"x": b"1", "y": b"2"}))
    assert (tmp_path / "a" / MANIFEST).read_bytes() == (tmp_path / "b" / MANIFEST).read_bytes()


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, RuntimeError, OSError])
def test_an_interrupted_write_leaves_nothing_and_the_earlier_run_intact(tmp_path: Path, interrupt: type) -> None:
    fresh = tmp_path / "deep" / "fresh"

    def half(folder: Path) -> None:
        (folder / "fills.parquet").write_bytes(b"")  # a file that would read as a valid empty table
        raise interrupt()

    with pytest.raises(PathError if interrupt is OSError else interrupt):
        RunFolder(fresh).write(half)
    assert entries(tmp_path) == []  # the parents it made are gone too

    earlier = tmp_path / "earlier"
    RunFolder(earlier).write(writer({"summary.json": b"1"}))
    with pytest.raises(PathError if interrupt is OSError else interrupt):
        RunFolder(earlier, force=True).write(half)
    assert verify_run(earlier)["files"].keys() == {"summary.json"}
    assert entries(tmp_path) == ["earlier"]


def test_an_earlier_run_is_replaced_only_with_force(tmp_path: Path) -> None:
    target = tmp_path / "run"
    RunFolder(target).write(writer({"old.parquet": b"old"}))
    with pytest.raises(PathError, match="holds an earlier run; pass --force"):
        RunFolder(target)
    RunFolder(target, force=True).write(writer({"new.parquet": b"new"}))
    assert entries(target) == [MANIFEST, "new.parquet"]  # nothing of the earlier run is mixed in
    assert entries(tmp_path) == ["run"]


def test_folders_that_are_not_runs_are_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(PathError, match="not a hollow run"):
        RunFolder(tmp_path / "mine", force=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(PathError, match="is a file, not a folder"):
        RunFolder(tmp_path / "file", force=True)
    with pytest.raises(PathError, match="a part of this path is a file"):
        RunFolder(tmp_path / "file" / "run")
    empty = tmp_path / "empty"
    empty.mkdir()
    RunFolder(empty).write(writer({"a": b"1"}))  # an empty folder is no earlier run
    assert verify_run(empty)


def test_the_current_folder_and_inputs_inside_the_target_are_protected(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "run"
    RunFolder(target).write(writer({"regime.toml": b"name = 'x'"}))
    with pytest.raises(PathError, match="an input of this run"):
        RunFolder(target, force=True, inputs=[target / "regime.toml"])
    linked = tmp_path / "linked.toml"
    os.link(target / "regime.toml", linked)
    with pytest.raises(PathError, match="an input of this run"):
        RunFolder(target, force=True, inputs=[linked])
    monkeypatch.chdir(target)
    with pytest.raises(PathError, match="current folder"):
        RunFolder(".", force=True)
    with pytest.raises(PathError, match="current folder"):
        RunFolder(tmp_path, force=True)


def test_verify_names_what_makes_a_folder_not_whole(tmp_path: Path) -> None:
    target = tmp_path / "run"
    RunFolder(target).write(writer({"a": b"1", "b": b"2"}))
    (target / "extra").write_text("x")
    with pytest.raises(PathError, match="extra is not listed"):
        verify_run(target)
    (target / "extra").unlink()
    (target / "a").write_bytes(b"9")
    with pytest.raises(PathError, match="a changed after the run wrote it"):
        verify_run(target)
    (target / "a").unlink()
    with pytest.raises(PathError, match="a is missing"):
        verify_run(target)
    (target / MANIFEST).unlink()
    with pytest.raises(PathError, match="not a hollow run"):
        verify_run(target)
    with pytest.raises(PathError, match="no such run folder"):
        verify_run(tmp_path / "absent")


def test_a_symlinked_target_is_written_where_it_points(tmp_path: Path) -> None:
    real = tmp_path / "store" / "run"
    (tmp_path / "store").mkdir()
    (tmp_path / "link").symlink_to(real)
    RunFolder(tmp_path / "link").write(writer({"a": b"1"}))
    assert verify_run(real) and (tmp_path / "link").is_symlink()
