"""Run the whole benchmark in one command: `python bench/run.py [--quick]`; see bench/README.md."""

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a script, so make the repository root importable for `bench` and `ssegen`.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.cli import main

    raise SystemExit(main(sys.argv[1:]))
