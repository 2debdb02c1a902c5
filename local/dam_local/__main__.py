"""`python -m dam_local …` is `dam …` (tests start the stack this way, with this interpreter)."""

from dam_local.cli import main

raise SystemExit(main())
