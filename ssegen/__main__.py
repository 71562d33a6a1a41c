from ssegen.cli import main

raise SystemExit(main())
