"""`ssegen build`, `check`, `diff` and `serve`: arguments, printing, exit codes.

Exit codes: 0 done / fresh / nothing breaking, 1 spec errors, stale output or a
breaking change, 2 bad usage.
Spec problems print as `path:line:col: error: message`, never a traceback.

What users see of it: README, "CLI".
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ssegen import __version__
from ssegen.config import ConfigError, load_config
from ssegen.output import MANIFEST, OutputError, diff_tree, write_tree
from ssegen.pipeline import build_files
from ssegen.spec.diagnostics import SpecError

WATCH_INTERVAL = 0.25  # seconds between looks at the specs: a save is rebuilt within a second


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"ssegen: error: {exc}", file=sys.stderr)
        return 2
    if args.command in ("build", "check"):
        args.out = args.out or config.out or Path("generated")
        if args.openapi_31 is None:
            args.openapi_31 = bool(config.openapi_31)
    if args.command == "diff":
        args.rule = [f"{rule}={level}" for rule, level in config.diff_rules.items()] + args.rule
        if args.against is not None and not args.paths:
            args.paths = [str(p) for p in config.specs]
        return _diff(args)
    if args.command == "init":
        from ssegen.scaffold import InitError, init

        try:
            written = init(args.folder)
        except InitError as exc:
            print(f"ssegen: error: {exc}", file=sys.stderr)
            return 2
        for name in written:
            print(f"wrote {args.folder / name}")
        print("next: ssegen build && uvicorn app:app, then curl -N localhost:8000/countdown/3")
        return 0
    if args.command == "schema":
        from ssegen.spec.editor_schema import render_editor_schema

        text = render_editor_schema()
        if args.out is None:
            sys.stdout.write(text)
        else:
            args.out.write_text(text, encoding="utf-8")
            print(f"ssegen: wrote the editor schema of spec format v1 to {args.out}")
        return 0
    specs = [Path(p) for p in args.specs] or list(config.specs) or [Path("specs")]
    missing = [str(path) for path in specs if not path.exists()]
    if missing:
        # A usage error, not a spec error: nothing was read.
        print(f"ssegen: error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(specs, args)
    if args.command == "check":
        try:
            return _check(args.out, build_files(specs, openapi_31=args.openapi_31))
        except SpecError as exc:
            return _report(exc)
        except OutputError as exc:
            print(f"ssegen: error: {exc}", file=sys.stderr)
            return 1
    if args.watch:
        return _watch(specs, args)
    return _build(specs, args)


def _build(specs: list[Path], args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        files = build_files(specs, openapi_31=args.openapi_31)
        result = write_tree(args.out, files)
    except SpecError as exc:
        return _report(exc)
    except OutputError as exc:
        print(f"ssegen: error: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    # The manifest is bookkeeping, not one of the files: it is not counted.
    changed = [relative for relative in result.written if relative != MANIFEST]
    print(
        f"ssegen: {len(files)} files in {args.out}: {len(changed)} changed,"
        f" {len(result.removed)} removed, in {elapsed:.2f}s"
    )
    for relative in result.removed:
        print(f"removed {args.out / relative}")
    for relative in result.kept:
        print(f"kept {args.out / relative} (no longer produced, but changed since ssegen wrote it)")
    return 0


def _fingerprint(specs: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """What `--watch` compares: every spec file's path, size and modification time."""
    found: list[tuple[str, int, int]] = []
    for root in specs:
        paths = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
        for path in paths:
            if path.is_file() and path.suffix in (".yaml", ".yml"):
                stat = path.stat()
                found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def _watch(specs: list[Path], args: argparse.Namespace) -> int:
    """Build, then build again whenever a spec changes; errors are printed and watching goes on."""
    seen = None
    print(f"ssegen: watching {', '.join(map(str, specs))} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            current = _fingerprint(specs)
            if current != seen:
                seen = current
                _build(specs, args)
                sys.stdout.flush()
                sys.stderr.flush()
            time.sleep(WATCH_INTERVAL)
    except KeyboardInterrupt:
        return 0


def _diff(args: argparse.Namespace) -> int:
    # Imported here: `build` and `check` never need the comparison.
    from ssegen.diff.command import (
        FORMATS,
        UsageError,
        apply,
        diff,
        diff_against,
        render,
        rule_settings,
    )

    try:
        settings = rule_settings(args.rule)
        if args.against is not None:
            changes = diff_against(args.against, [Path(p) for p in args.paths] or [Path("specs")])
        elif len(args.paths) == 2:
            changes = diff([Path(args.paths[0])], [Path(args.paths[1])])
        else:
            raise UsageError("give OLD and NEW, or --against REF [SPECS...]")
    except UsageError as exc:
        print(f"ssegen diff: error: {exc}", file=sys.stderr)
        return 2
    except SpecError as exc:
        return _report(exc)
    assert args.format in FORMATS
    changes = apply(changes, settings)
    sys.stdout.write(render(changes, args.format))
    return 1 if any(change.severity == "breaking" for change in changes) else 0


def _report(exc: SpecError) -> int:
    for diagnostic in exc.diagnostics:
        print(diagnostic, file=sys.stderr)
    count = len(exc.diagnostics)
    print(f"{count} error{'s' if count != 1 else ''}", file=sys.stderr)
    return 1


def _serve(specs: list[Path], args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        print(
            "ssegen: error: `ssegen serve` needs uvicorn: pip install 'ssegen[serve]'",
            file=sys.stderr,
        )
        return 1
    # Imported here: the mock pulls in FastAPI apps, which `build` and `check` never need.
    from ssegen.preview.app import DOCS_URL, preview_app

    try:
        preview = preview_app(specs, interval=args.interval, script_path=args.scalar_script)
    except SpecError as exc:
        return _report(exc)
    except FileNotFoundError as exc:
        print(f"ssegen: error: {exc}", file=sys.stderr)
        return 1
    base = f"http://{args.host}:{args.port}"
    for plan in preview.plans:
        stream = plan.stream
        print(f"{stream.http_method:6} {base}{stream.path}  ({stream.name})")
    for skipped in preview.skipped:
        print(f"not sent (no example, no valid sample): {skipped}")
    for catalog in preview.catalogs:
        # The typed client `ssegen build` writes for each package, pointed at this mock.
        first = catalog.streams[0]
        print(
            f"client {catalog.package}: from generated.{catalog.package}.client import "
            f'{catalog.client_class}; async with {catalog.client_class}("{base}") as client: '
            f"async for event in client.{first.client_call}: ..."
        )
    print(f"ssegen: mock of {len(preview.plans)} streams; docs at {base}{DOCS_URL}", flush=True)
    uvicorn.run(preview.app, host=args.host, port=args.port, log_level="warning")
    return 0


def _check(out: Path, files: dict[str, str]) -> int:
    staleness = diff_tree(out, files)
    if not staleness.stale:
        print(f"ssegen: {out} is fresh ({len(files)} files)")
        return 0
    sys.stdout.write(staleness.diff)
    for orphan in staleness.orphans:
        print(f"orphaned: {out / orphan} (generated earlier, no longer produced)")
    for orphan in staleness.kept:
        print(f"orphaned: {out / orphan} (changed since ssegen wrote it: `ssegen build` keeps it)")
    print(f"ssegen: {out} is stale: run `ssegen build`", file=sys.stderr)
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssegen",
        description="Typed Server-Sent Event streams for FastAPI, from YAML specs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            "  ssegen build specs/            generate into generated/\n"
            "  ssegen check                   exit 1 when generated/ is stale (CI)\n"
            "  ssegen diff --against main     what the change breaks\n"
            "  ssegen serve                   a mock of every stream, with its docs page\n"
            "  ssegen schema -o spec.json     the spec format's JSON Schema, for editors\n"
            "\nsettings: [tool.ssegen] in pyproject.toml (specs, out, openapi-3_1, diff.rules);\n"
            "command-line arguments override them.\n"
            "exit codes: 0 done, 1 spec errors / stale output / a breaking change, 2 usage."
        ),
    )
    parser.add_argument("--version", action="version", version=f"ssegen {__version__}")
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
            default=None,
            help="output folder (default: [tool.ssegen] out, else generated/)",
        )
        if name == "build":
            command.add_argument(
                "--watch",
                action="store_true",
                help="build again whenever a spec changes (keeps going on errors)",
            )
        command.add_argument(
            "--openapi-3.1",
            dest="openapi_31",
            action="store_true",
            default=None,
            help="also write openapi-3.1.json, for tools that refuse OpenAPI 3.2",
        )
    summary = "classify what changed between two versions of the specs, by who it breaks"
    diff = commands.add_parser(
        "diff",
        help=summary,
        description=summary + " (exit 1 when a change is breaking)",
        epilog="examples: ssegen diff old/ specs/   |   ssegen diff --against origin/main",
    )
    diff.add_argument(
        "paths", nargs="*", help="OLD NEW (files or folders), or SPECS with --against"
    )
    diff.add_argument(
        "--against", metavar="REF", help="compare SPECS with their version at git REF"
    )
    diff.add_argument("--format", choices=("text", "json", "github"), default="text")
    diff.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="ID=LEVEL",
        help="raise, lower or ignore a rule: LEVEL is breaking, warning, info or off (repeatable)",
    )
    summary = "start a project in FOLDER: a spec, an app implementing it, settings and CI"
    init = commands.add_parser("init", help=summary, description=summary)
    init.add_argument("folder", nargs="?", type=Path, default=Path("."), help="default: here")
    summary = "print (or write, with -o) the JSON Schema of spec format v1, for editors"
    schema = commands.add_parser(
        "schema",
        help=summary,
        description=summary,
        epilog="then, first line of a spec: # yaml-language-server: $schema=<path or URL of it>",
    )
    schema.add_argument("-o", "--out", type=Path, help="write it to this file instead of stdout")
    summary = "serve every stream with a mock that sends the examples, and the docs page"
    serve = commands.add_parser("serve", help=summary, description=summary)
    serve.add_argument("specs", nargs="*", help="spec files or folders (default: specs/)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument(
        "--interval", type=_seconds, default=1.0, help="seconds between mock events (default: 1)"
    )
    serve.add_argument(
        "--scalar-script",
        metavar="PATH",
        help="a local copy of Scalar's standalone.js for the docs page (default: load it from a CDN)",
    )
    return parser


def _seconds(value: str) -> float:
    seconds = float(value)
    if not 0 <= seconds <= 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 3600 seconds")
    return seconds
