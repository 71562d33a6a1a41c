"""`ssegen build` and `ssegen check`: arguments, printing, exit codes.

Exit codes: 0 done / fresh, 1 spec errors or stale output, 2 bad usage.
Spec problems print as `path:line:col: error: message`, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ssegen.diagnostics import SpecError
from ssegen.output import OutputError, diff_tree, write_tree
from ssegen.pipeline import build_files


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    specs = [Path(p) for p in args.specs] or [Path("specs")]
    started = time.perf_counter()
    try:
        files = build_files(specs)
        if args.command == "check":
            return _check(args.out, files)
        written, removed = write_tree(args.out, files)
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        count = len(exc.diagnostics)
        print(f"{count} error{'s' if count != 1 else ''}", file=sys.stderr)
        return 1
    except OutputError as exc:
        print(f"ssegen: error: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(
        f"ssegen: {len(files)} files in {args.out} ({len(written)} written, {len(removed)} removed)"
        f" in {elapsed:.2f}s"
    )
    for relative in removed:
        print(f"removed {args.out / relative}")
    return 0


def _check(out: Path, files: dict[str, str]) -> int:
    staleness = diff_tree(out, files)
    if not staleness.stale:
        print(f"ssegen: {out} is fresh ({len(files)} files)")
        return 0
    sys.stdout.write(staleness.diff)
    for orphan in staleness.orphans:
        print(f"orphaned: {out / orphan} (generated earlier, no longer produced)")
    print(f"ssegen: {out} is stale: run `ssegen build`", file=sys.stderr)
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssegen", description="Typed Server-Sent Event streams for FastAPI, from YAML specs."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, summary in (
        ("build", "generate typed routers, models, contract and docs into OUT"),
        ("check", "exit 1 with a diff when OUT is not what `build` would write"),
    ):
        command = commands.add_parser(name, help=summary, description=summary)
        command.add_argument("specs", nargs="*", help="spec files or folders (default: specs/)")
        command.add_argument(
            "-o",
            "--out",
            type=Path,
            default=Path("generated"),
            help="output folder (default: generated/)",
        )
    return parser
