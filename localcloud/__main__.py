"""`python -m localcloud`: the commands of cli.py."""

from . import collect_seldom

collect_seldom()  # before the imports, which make most of what a command holds

from .cli import main  # noqa: E402 - after the collector is set

raise SystemExit(main())
