"""The local cloud's CloudFormation: deploy, update and destroy stacks, behind its query API.

- `api.py`: CloudFormation's query API (change sets, stacks, events, templates) over the engine;
- `engine.py`: the stack engine, `StackEngine`: which stack operation runs, deletes, statuses;
- `deployment.py`: how one stack is created or updated, with rollback and cleanup;
- `recovery.py`: what a restart does to an operation the last stop cut short (it concludes it);
- `context.py`: what the engine, a deployment and a resource's operations share;
- `resource_operations.py`: one resource's create, update or delete;
- `resources/`: the native resource types, one small unit each, looked up by type;
- `custom_resources.py`: custom resources, invoked as Lambda would (async, retries, ResponseURL);
- `functions.py`: the functions stacks deploy, found as Lambda finds them, and invoked from their records;
- `services.py`: the one seam to every service the engine deploys into (the endpoint);
- `graph.py`: the dependency graph, and the runner that starts every ready resource at once;
- `intrinsics.py`, `parameters.py`, `templates.py`, `changes.py`, `exports.py`: templates read,
  their parameters settled, their functions resolved, their changes described, their exports ruled;
- `assembly.py`: a cloud assembly's stacks and their assets, published as the CDK CLI does;
- `response_server.py`: the HTTPS ResponseURL custom resources answer at;
- `state.py`: the stacks, change sets and events, kept in files so that a restart keeps them;
- `settings.py`, `errors.py`: what can be set, how operations fail.
"""

from .context import Deployment
from .custom_resources import CUSTOM_TYPES, Invocation
from .engine import StackEngine
from .errors import Cancelled, DeploymentFailed, ResourceFailed
from .services import Services
from .settings import Progress, Settings

__all__ = [
    "CUSTOM_TYPES",
    "Cancelled",
    "Deployment",
    "DeploymentFailed",
    "Invocation",
    "Progress",
    "ResourceFailed",
    "Services",
    "Settings",
    "StackEngine",
]
