"""The stack engine, as the API's modules name it in their signatures.

Every operation of the API takes the engine it runs on as an argument; `Engine` is the one line
that says which class that is, so that the engine can change under the API without the API's
modules changing with it.
"""

from __future__ import annotations

from ..stacks import LocalCloud as Engine

__all__ = ["Engine"]
