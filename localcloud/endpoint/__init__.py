"""One endpoint for every AWS API the local cloud offers: `AWS_ENDPOINT_URL` and test keys suffice.

Each request goes to the service named in its SigV4 credential scope:

- every service moto emulates (`s3`, `sts`, `sqs`, `dynamodb`... by moto's own list,
  `moto_catalog.py`): moto, in this process (`moto_services.py`), its writes journaled so that
  they survive a restart (`journal.py`); and `localcloud-models`, moto's CloudFormation models
  run for the stack engine (`model_operations.py`);
- `personalize` (control plane and PutEvents): ours, `localcloud/personalize/`, mounted by `personalize.py`;
- `cloudformation`: our stack engine's query API (`cloudformation.py`);
- `lambda`: not emulated yet, answered in Lambda's error shape (`lambda_api.py`);
- anything else: the service's own "unknown operation" error (`protocols.py`), logged.

`http.py` reads a request (`AwsRequest`) and its scope and holds `HttpResponse`, `router.py`
routes it (`/_localcloud/...` to the admin API, `admin.py`: gates, the clock, what a restart is
concluding, and Personalize's own), `bootstrap.py` makes what `cdk deploy` needs before any
`cdk bootstrap`, `ports.py` binds the port (a busy one refused, naming its holder), `server.py` is
`Endpoint`, the whole (given a `Personalize`, it serves that one: how a test controls its clock,
gates and faults).
"""

from .bootstrap import BOOTSTRAP_VERSION, QUALIFIER, assets_bucket, version_parameter
from .server import Endpoint

__all__ = ["BOOTSTRAP_VERSION", "QUALIFIER", "Endpoint", "assets_bucket", "version_parameter"]
