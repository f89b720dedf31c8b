"""Every service moto emulates answers on the one endpoint, through boto3, as moto's own list has it."""

from __future__ import annotations

import datetime
import functools
import pathlib
import re
from collections.abc import Iterator
from typing import Any

import botocore.session
import moto
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.backends import ALT_SERVICE_NAMES

from localcloud.endpoint import Endpoint
from localcloud.endpoint.moto_catalog import moto_backends, moto_clients, moto_signing_names

ACCOUNT = "123456789012"
SESSION = botocore.session.get_session()
MOTO = pathlib.Path(moto.__file__).parent

# Where botocore's model has no read without parameters that moto implements: the call to make,
# and the service's own error when it can only be a read of something that does not exist.
READS: dict[str, tuple[str, str, dict[str, Any], str | None]] = {
    "account": ("account", "get_alternate_contact", {"AlternateContactType": "BILLING"}, "ResourceNotFoundException"),
    "appconfig": ("appconfig", "get_application", {"ApplicationId": "app"}, "ResourceNotFoundException"),
    "application-autoscaling": (
        "application-autoscaling",
        "describe_scalable_targets",
        {"ServiceNamespace": "ecs"},
        None,
    ),
    # the Metering Service has no read at all
    "aws-marketplace": ("meteringmarketplace", "batch_meter_usage", {"UsageRecords": [], "ProductCode": "p"}, None),
    "batch": ("batch", "describe_job_queues", {}, None),
    "bedrock-agentcore": (
        "bedrock-agentcore",
        "list_events",
        {"memoryId": "memory-00000", "sessionId": "s", "actorId": "a"},
        None,
    ),
    "budgets": ("budgets", "describe_budgets", {"AccountId": ACCOUNT}, None),
    "ce": (
        "ce",
        "get_cost_and_usage",
        {
            "TimePeriod": {"Start": "2026-01-01", "End": "2026-02-01"},
            "Granularity": "MONTHLY",
            "Metrics": ["UnblendedCost"],
        },
        None,
    ),
    "codecommit": ("codecommit", "get_repository", {"repositoryName": "none"}, "RepositoryDoesNotExistException"),
    "cognito-identity": ("cognito-identity", "list_identity_pools", {"MaxResults": 10}, None),
    "cognito-idp": ("cognito-idp", "list_user_pools", {"MaxResults": 10}, None),
    "dms": ("dms", "describe_replication_instances", {}, None),
    "ebs": ("ebs", "start_snapshot", {"VolumeSize": 1}, None),  # its reads need a snapshot
    "ec2": ("ec2", "describe_vpcs", {}, None),
    "ec2-instance-connect": (  # its only operation
        "ec2-instance-connect",
        "send_ssh_public_key",
        {"InstanceId": "i-1234567890abcdef0", "InstanceOSUser": "ec2-user", "SSHPublicKey": "ssh-rsa " + "A" * 80},
        None,
    ),
    "elasticloadbalancing": ("elb", "describe_load_balancers", {}, None),
    "es": ("es", "list_domain_names", {}, None),
    "execute-api": ("apigatewaymanagementapi", "get_connection", {"ConnectionId": "c"}, None),
    "glacier": ("glacier", "list_vaults", {}, None),
    "iam": ("iam", "list_roles", {}, None),
    "identitystore": ("identitystore", "list_users", {"IdentityStoreId": "d-1234567890"}, None),
    "iotdata": ("iot-data", "get_thing_shadow", {"thingName": "t"}, "ResourceNotFoundException"),
    "kinesis": ("kinesis", "list_streams", {}, None),
    "kinesisvideo": ("kinesisvideo", "list_streams", {}, None),
    "polly": ("polly", "describe_voices", {}, None),
    "quicksight": ("quicksight", "list_users", {"AwsAccountId": ACCOUNT, "Namespace": "default"}, None),
    "rds-data": (
        "rds-data",
        "execute_statement",
        {
            "resourceArn": f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:c",
            "secretArn": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:s",
            "sql": "select 1",
        },
        None,
    ),
    "redshift-data": (
        "redshift-data",
        "describe_statement",
        {"Id": "00000000-0000-0000-0000-000000000000"},
        "ResourceNotFoundException",
    ),
    "rekognition": ("rekognition", "get_text_detection", {"JobId": "j"}, None),
    "resource-groups": ("resource-groups", "list_groups", {}, None),
    "s3": ("s3", "list_buckets", {}, None),
    "s3vectors": ("s3vectors", "list_vector_buckets", {}, None),
    "sdb": ("sdb", "list_domains", {}, None),
    "servicequotas": ("service-quotas", "list_aws_default_service_quotas", {"ServiceCode": "vpc"}, None),
    "swf": ("swf", "list_domains", {"registrationStatus": "REGISTERED"}, None),
    "textract": ("textract", "get_document_text_detection", {"JobId": "j"}, "InvalidJobIdException"),
    "wafv2": ("wafv2", "list_web_acls", {"Scope": "REGIONAL"}, None),
    "xray": (
        "xray",
        "get_trace_summaries",
        {"StartTime": datetime.datetime(2026, 1, 1), "EndTime": datetime.datetime(2026, 1, 2)},
        None,
    ),
}


@functools.cache
def moto_sources(package: str) -> str:
    """The source of a moto package's HTTP face (`responses*.py`, `responses/`)."""
    return "\n".join(path.read_text() for path in (MOTO / package).rglob("*.py") if "respon" in str(path))


def first_read(signing_name: str) -> tuple[str, str, dict[str, Any], str | None]:
    """The client moto is found through, and its first List, Describe or Get without required
    parameters that moto implements."""
    if signing_name in READS:
        return READS[signing_name]
    service = moto_clients()[signing_name]
    model = SESSION.get_service_model(service)
    package = ALT_SERVICE_NAMES.get(service.replace("-", ""), service.replace("-", ""))
    implemented = moto_sources(package) + moto_sources(moto_backends()[signing_name])
    reads = sorted(
        (name for name in model.operation_names if name.startswith(("List", "Describe", "Get"))),
        key=lambda name: (not name.startswith("List"), not name.startswith("Describe"), name),
    )
    for name in reads:
        shape = model.operation_model(name).input_shape
        if (shape is None or not shape.required_members) and re.search(rf"def {xform_name(name)}\(", implemented):
            return service, xform_name(name), {}, None
    raise AssertionError(f"no read of {signing_name} to call: add it to READS")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    with Endpoint() as running:
        yield running


def test_moto_answers_every_service_but_those_that_stay_ours():
    names = moto_signing_names()
    assert {"s3", "sts", "ssm", "iam", "logs", "ecr", "sqs", "sns", "dynamodb", "kinesis", "secretsmanager"} <= names
    assert {"cloudformation", "lambda", "personalize"}.isdisjoint(names)
    assert len(names) > 100  # moto's list, not a typed one


@pytest.mark.slow  # a request to every service moto emulates, each loading its backend
@pytest.mark.parametrize("signing_name", sorted(moto_signing_names()))
def test_every_service_moto_emulates_answers_a_read(endpoint, signing_name):
    service, operation, parameters, expected_error = first_read(signing_name)
    # the endpoint is one host: no per-operation host prefix (`cp.`, `data.`)
    config = Config(inject_host_prefix=False, retries={"total_max_attempts": 1})
    if signing_name == "sdb":  # SimpleDB's clients sign with SigV2, which names no service: the endpoint routes SigV4
        config = config.merge(Config(signature_version="v4"))
    client = endpoint.client(service, config=config)
    if expected_error is None:
        answer = getattr(client, operation)(**parameters)
        assert answer["ResponseMetadata"]["HTTPStatusCode"] < 300
    else:
        with pytest.raises(ClientError) as refused:
            getattr(client, operation)(**parameters)
        assert refused.value.response["Error"]["Code"] == expected_error
