"""`python -m localcloud`: the commands of cli.py."""

import gc

# Python's cycle collector runs less often, as in the test suite's processes (docs/design.md,
# "The test loop"): set before the imports, which make most of what a command holds (the local
# cloud's modules and moto's: about 150,000 objects once `serve` has started), and which with
# Python's thresholds ran full collections over all of it as it grew.
gc.set_threshold(50_000, 50, 50)

from .cli import main  # noqa: E402 - after the collector is set

raise SystemExit(main())
