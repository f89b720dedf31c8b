"""The local cloud: what lets the example app be tried with no AWS account (docs/design.md, "The local cloud").

A development tool, kept out of the library's wheel. One endpoint answers every AWS API a CDK
app and its functions call; the stack engine behind its CloudFormation reaches every service
through that endpoint, however it was started.

This folder holds only the local cloud's face:

- `cli.py` (run as `python -m localcloud`): the commands `serve`, `up`, `down`, `cdk`, `env`,
  `outputs`, `demo`; `background.py`, `cdk_cli.py` and `demo.py` carry them out;
- `local_env.py`: the account, region and test keys, the environment of every tool run against
  the local cloud, and `local_client`, the one place a boto3 client of it is made.

The parts, each a package with its map in its `__init__.py`:

- `endpoint/`: the one port, routing each request by its credential scope: moto's services (S3,
  STS, SSM, IAM, Logs, ECR) and ours;
- `cloudformation/`: CloudFormation's query API and the stack engine, its native resource types
  and custom resources;
- `personalize/`: Amazon Personalize, with a clock, rate limits and faults a test controls;
- `lambda_runtime/`: Lambda's Python and Node.js runtimes (awslambdaric; our Node.js bootstrap) in warm
  execution environments;
- `statedir/`: the state directory: files whole after any kill, a version marker, one server at
  a time, and no write from a server that has stopped.
"""

import gc


def collect_seldom() -> None:
    """Python's cycle collector set for a process whose heap is large and lives as long as it does:
    `python -m localcloud` (set before its imports) and the test suite's processes (docs/design.md,
    "The test loop"). Each full collection walks every object the process holds, most of them the
    modules it imported, moto's backends and botocore's models: 0.4-1 million in a pytest worker,
    about 150,000 in `serve` once started. A young collection once allocations outnumber
    deallocations by 50,000, an older one every 50 of those and a full one every 50 older ones,
    against Python's 700, 10 and 10."""
    gc.set_threshold(50_000, 50, 50)
