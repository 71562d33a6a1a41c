"""`python -m ssegen`: the same command line as `ssegen` (cli.py)."""

from ssegen.cli import main

raise SystemExit(main())
