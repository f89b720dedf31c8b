"""The Lambda entry point, ``event_tracker.index.handler``: crhelper wired to the lifecycle.

Importing this module is the function's Init: crhelper's resource (`answers.helper`) and the
Personalize client (`service.personalize`) are created once per execution environment.
"""

from __future__ import annotations

from typing import Any

from .answers import helper
from .lifecycle import on_create, on_delete, on_update

helper.create(on_create)
helper.update(on_update)
helper.delete(on_delete)


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point: crhelper runs the request type's function and answers CloudFormation."""
    helper(event, context)
