"""`hollow audit` (a proof of reserves of a run at a date) and `hollow verify` (check a proof).

`register(app)` adds them to the typer app in `hollow.cli`. A proof file is written whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Annotated

import typer

from hollow.errors import EXIT_PROBLEMS, HollowError


class InvalidProof(HollowError):
    """`hollow verify`: the proof does not hold; the message names the failed check."""

    exit_code = EXIT_PROBLEMS


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise HollowError(f"--date {text}: not a date (YYYY-MM-DD)") from None


def _usd(minor: int) -> str:
    return f"${minor / 1e6:,.0f}"


def audit(
    run_dir: Annotated[str, typer.Argument(metavar="RUN", help="A world run folder.")],
    date: Annotated[str, typer.Option("--date", help="The day of the snapshot (YYYY-MM-DD), end of day.")],
    customer: Annotated[str | None, typer.Option("--customer", help="A customer account, e.g. customer:retail:000001.")] = None,
    proof_out: Annotated[str | None, typer.Option("--proof-out", help="Write that customer's inclusion proof here (JSON).")] = None,
) -> None:
    """A Merkle sum tree over every customer's liabilities at a date, and reserves counted two ways."""
    from hollow.analysis.reserves import audit as run_audit
    from hollow.analysis.run import RunTables
    from hollow.cli import out, say
    from hollow.io.paths import atomic_files, output_file

    if proof_out is not None and customer is None:
        raise HollowError("--proof-out needs --customer")
    target = None if proof_out is None else output_file(proof_out, "--proof-out")
    started = time.perf_counter()
    run = RunTables(run_dir, "RUN")
    result = run_audit(run, _date(date))
    proof = None if customer is None else result.proof(customer)
    root_hash, sums = result.tree.root
    say(out(), f"date {result.date}; {len(result.tree.customers):,} customer accounts; root {root_hash}")
    say(out(), "root sums: " + ", ".join(f"{a} {s}" for a, s in zip(result.tree.assets, sums, strict=True)))
    say(out(), f"liabilities {_usd(result.liabilities_minor)}")
    say(out(), f"reserves honest {_usd(result.reserves_honest_minor)} (ratio {result.ratio_ppm() / 1e4:.1f}%; own token excluded)")
    say(out(), f"reserves flattering {_usd(result.reserves_flattering_minor)} against {_usd(result.liabilities_flattering_minor)} "
               f"(ratio {result.ratio_ppm(False) / 1e4:.1f}%; token at market, the house's negative balance netted)")
    if target is not None and proof is not None:
        with atomic_files([target]) as (temp,):
            temp.write_text(json.dumps(proof, indent=1, sort_keys=True) + "\n")
        say(out(), f"wrote {target} ({time.perf_counter() - started:.2f} s)")


def verify(
    proof_file: Annotated[str, typer.Argument(metavar="PROOF.json", help="An inclusion proof from 'hollow audit'.")],
    root: Annotated[str | None, typer.Option("--root", help="The published root hash to check against.")] = None,
) -> None:
    """Check an inclusion proof: exit 0 when it holds, 1 naming the failed check when it does not."""
    from hollow.analysis.merkle import ProofError
    from hollow.analysis.merkle import verify as check
    from hollow.cli import out, say
    from hollow.io.paths import input_file

    path = input_file(proof_file)
    try:
        proof = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise HollowError(f"{path}: not a JSON proof ({exc})") from None
    try:
        sums = check(proof if isinstance(proof, dict) else {}, root)
    except ProofError as exc:
        raise InvalidProof(f"{path}: proof invalid, failed check {exc}") from None
    say(out(), f"{path}: valid; {proof['leaf']['customer']} is counted in root {proof['root']['hash']} (sums {sums})")


def report(
    run_dir: Annotated[str, typer.Argument(metavar="RUN_DIR", help="A world run folder.")],
    vs: Annotated[str | None, typer.Option("--vs", help="A second run folder to set side by side.")] = None,
    out_dir: Annotated[str | None, typer.Option("--out", help="Report folder; default RUN_DIR-report.")] = None,
    png: Annotated[bool, typer.Option("--png/--no-png", help="Draw each chart as PNG with the system Chromium.")] = True,
    force: Annotated[bool, typer.Option("--force", help="Replace the report folder if it holds an earlier report.")] = False,
) -> None:
    """Write the report of a run: one self-contained HTML file, each chart's data as CSV and as PNG."""
    from pathlib import Path

    from hollow import __version__
    from hollow.cli import out, say
    from hollow.io.run_folder import RunFolder, verify_run
    from hollow.report.html import write_report

    verify_run(run_dir, "RUN_DIR")
    if vs is not None:
        verify_run(vs, "--vs")
    target = out_dir or f"{Path(run_dir).resolve()}-report"
    folder = RunFolder(target, force=force, meta={"command": "report", "run": str(run_dir), "vs": vs, "hollow_version": __version__})
    started = time.perf_counter()
    folder.write(lambda path: write_report(path, run_dir, vs, png))
    size = (Path(folder.target) / "report.html").stat().st_size
    say(out(), f"wrote {folder.target} (report.html {size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s)")


def register(app: typer.Typer) -> None:
    """Add the analysis commands to the CLI."""
    for name, fn in (("audit", audit), ("verify", verify), ("report", report)):
        app.command(name)(fn)
