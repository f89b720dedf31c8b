"""CloudFormation's API as the CDK CLI, boto3 and the AWS CLI use it: the query protocol over the
stack engine.

The endpoint decodes each request whose SigV4 scope names `cloudformation` and hands its form to
`CloudFormationApi.handle`, which answers an HTTP status and the XML body. Stacks, change sets
and events are kept under `state_dir`. Every other service (S3, SSM, IAM, Logs, ECR,
Personalize) is reached with boto3 at `endpoint_url`: templates at a TemplateURL, Lambda code,
SSM parameter types, resources.

- `dispatch.py`: `CloudFormationApi`, the table of actions and the error shapes;
- `change_sets.py`: CreateChangeSet and the other change set operations, and DeleteStack;
- `stacks.py`: CreateStack and UpdateStack, the stack operations without a change set;
- `imports.py`: IMPORT change sets, existing resources adopted by a stack;
- `describe.py`: the read operations, records turned into the API's shapes;
- `template_source.py`: the template a request names (body, TemplateURL, previous), checked and
  its parameters settled, one way for every door;
- `capabilities.py`: the IAM capabilities a template needs;
- `operations.py`: stack operations in the background, and their end after a restart;
- `records.py`, `engine.py`: stacks and change sets as requests name them; the engine's type.
"""

from .change_sets import EMPTY_CHANGE_SET
from .dispatch import CloudFormationApi

__all__ = ["EMPTY_CHANGE_SET", "CloudFormationApi"]
