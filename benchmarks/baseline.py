"""Run a benchmark script of an older commit in the same run, for a ratio against today's code.

The old tree is checked out as a git worktree under the system temp folder and its C extensions are
built once into a folder beside it; its own copy of the benchmark runs in a subprocess with that tree first on the path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def baseline_tree(rev: str) -> Path:
    """A built checkout of `rev` (made once, reused by later runs)."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", rev], check=True, capture_output=True, text=True).stdout.strip()
    tree = Path(tempfile.gettempdir()) / f"hollow-baseline-{commit[:12]}"
    if not (tree / ".built").exists():
        if not tree.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit], check=True, capture_output=True)
        # a regular (isolated) build: the old tree's own build requirements, installed beside it
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(tree / "site"), str(tree)], check=True, capture_output=True)
        (tree / ".built").write_text(commit)
    return tree


def run_baseline(rev: str, script: str, *args: str) -> str:
    """Stdout of `benchmarks/<script>` as it was at `rev`."""
    tree = baseline_tree(rev)
    env = dict(os.environ, PYTHONPATH=str(tree / "site"))
    done = subprocess.run([sys.executable, str(tree / "benchmarks" / script), *args], cwd=tree, env=env, check=True, capture_output=True, text=True)
    return done.stdout
