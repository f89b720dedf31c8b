"""How a stack operation, or one resource of it, fails."""

from __future__ import annotations

from .graph import Cancelled  # another resource failed while this one was in progress


class DeploymentFailed(Exception):
    """The stack operation failed (and was rolled back where CloudFormation would)."""


class ResourceFailed(Exception):
    """One resource failed; `physical_id` is the id its FAILED answer carried, if any."""

    def __init__(self, reason: str, physical_id: str = "") -> None:
        super().__init__(reason)
        self.physical_id = physical_id


__all__ = ["Cancelled", "DeploymentFailed", "ResourceFailed"]
