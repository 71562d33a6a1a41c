"""How long `ssegen build` takes for many specs, in one process.

    python bench/build_bench.py [--specs 50] [--repeat 3]

Writes N spec files (the example catalogs of specs/, each under its own
package name, so every one has its own models) into a temporary folder and
times `ssegen build` on them as one CLI run would: one process, one
datamodel-code-generator call per spec, no subprocess per schema.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_specs(folder: Path, count: int) -> None:
    sources = sorted((ROOT / "specs").glob("*.yaml"))
    for i in range(count):
        source = sources[i % len(sources)]
        text = source.read_text(encoding="utf-8")
        # Each copy gets its own package and its own URL prefix (one catalog holds every route).
        text = text.replace("path: /", f"path: /v{i}/")
        lines = [line for line in text.splitlines() if not line.startswith("package:")]
        lines.insert(1, f"package: {source.stem}_{i}")
        (folder / f"{source.stem}_{i}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--specs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "specs").mkdir()
        make_specs(work / "specs", args.specs)
        times = []
        for _ in range(args.repeat):
            shutil.rmtree(work / "generated", ignore_errors=True)
            started = time.perf_counter()
            # A whole CLI run, interpreter start-up and imports included.
            subprocess.run(
                [sys.executable, "-m", "ssegen", "build", "specs"],
                cwd=work,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - started)
        files = sum(1 for p in (work / "generated").rglob("*") if p.is_file())
    print(f"ssegen build: {args.specs} specs -> {files} files")
    print(
        f"  wall time per CLI run: median {statistics.median(times):.2f}s (runs: {', '.join(f'{t:.2f}' for t in times)})"
    )
    print(f"  per spec: {statistics.median(times) / args.specs * 1000:.0f} ms")


if __name__ == "__main__":
    main()
