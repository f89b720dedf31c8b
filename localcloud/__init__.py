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
