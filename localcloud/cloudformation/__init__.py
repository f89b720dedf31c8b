"""The local cloud's CloudFormation: deploy, update and destroy a synthesized stack.

- `stacks.py`: the stack engine (create, update, rollback, cleanup, delete), `LocalCloud`;
- `resource_operations.py`: one resource's create, update or delete, and the intrinsics' context;
- `resources/`: the native resource types, one small unit each, looked up by type;
- `custom_resources.py`: custom resources, invoked as Lambda would (async, retries, ResponseURL);
- `state.py`: the deployed stacks, kept in a file so that commands can be separate;
- `settings.py`, `errors.py`: what can be set, how progress is shown, how operations fail.
"""

from .custom_resources import CUSTOM_TYPES, Invocation
from .errors import Cancelled, DeploymentFailed, ResourceFailed
from .settings import Progress, Settings, print_progress
from .stacks import Deployment, LocalCloud

__all__ = [
    "CUSTOM_TYPES",
    "Cancelled",
    "Deployment",
    "DeploymentFailed",
    "Invocation",
    "LocalCloud",
    "Progress",
    "ResourceFailed",
    "Settings",
    "print_progress",
]
