"""The environment every tool run against the local cloud gets: it can reach no real account.

A developer's shell often holds a profile, real keys, a session token, or endpoint variables
meant for something else. A command the make targets or the README run against the local cloud
must never take any of them: with real credentials and one variable pointing elsewhere, a
`cdk deploy` would deploy to production. So the environment is built from the inherited one by
removing everything that names credentials, a profile, a config file or an endpoint, then
setting test keys and pointing every endpoint variable at the local cloud.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

# The local cloud's one account (moto's default, and the Personalize emulator's), its default
# region, and the keys every client signs with.
ACCOUNT = "123456789012"
REGION = "us-east-1"
TEST_KEYS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}

# Variables through which the SDKs (boto3, SDK v3 in the CDK CLI, the AWS CLI) find credentials,
# a profile, a role or a region: all are dropped before the local ones are set.
CREDENTIAL_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_SDK_LOAD_CONFIG",
    "AWS_CA_BUNDLE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "CDK_DEFAULT_ACCOUNT",
    "CDK_DEFAULT_REGION",
)
# Every service-specific endpoint variable (AWS_ENDPOINT_URL_S3, ..._CLOUDFORMATION, ...) wins
# over AWS_ENDPOINT_URL: any inherited one would send that service elsewhere.
ENDPOINT_PREFIX = "AWS_ENDPOINT_URL"
# The services the CDK CLI, the handler and the demo call, pointed here one by one as well, for
# tools that read only the service-specific variables.
LOCAL_SERVICES = (
    "CLOUDFORMATION",
    "S3",
    "STS",
    "SSM",
    "IAM",
    "CLOUDWATCH_LOGS",
    "ECR",
    "LAMBDA",
    "PERSONALIZE",
    "PERSONALIZE_EVENTS",
)


def local_environment(
    endpoint_url: str,
    *,
    home: Path,
    region: str = REGION,
    inherited: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """`inherited` (default: this process's environment) made safe to run a tool against the local cloud.

    `home` is a private directory for the CDK CLI's cache (CDK_HOME) and empty AWS config files,
    so that nothing in ~/.aws or ~/.cdk is read.
    """
    source = os.environ if inherited is None else inherited
    dropped = {*CREDENTIAL_VARIABLES, "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}
    env = {
        name: value for name, value in source.items() if name not in dropped and not name.startswith(ENDPOINT_PREFIX)
    }
    home.mkdir(parents=True, exist_ok=True)
    config, credentials = home / "aws-config", home / "aws-credentials"
    for empty in (config, credentials):
        empty.write_text("")
    env.update(TEST_KEYS)
    env.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            # empty files instead of ~/.aws: no profile, no credential_process, no sso
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
            # no instance metadata lookup: nothing to find here, and nothing to find elsewhere
            "AWS_EC2_METADATA_DISABLED": "true",
            ENDPOINT_PREFIX: endpoint_url,
            **{f"{ENDPOINT_PREFIX}_{service}": endpoint_url for service in LOCAL_SERVICES},
            # the CDK CLI: a private cache (it keys the caller identity per access key), and
            # nothing sent out: no notices, no telemetry, no version check
            "CDK_HOME": str(home / "cdk"),
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "CDK_DISABLE_VERSION_CHECK": "true",
        }
    )
    return env


def isolate_this_process() -> None:
    """For the process that serves the local cloud: nothing in it may find a profile, a config
    file or real credentials. moto's backends make boto3 clients from the default session as they
    are imported, on the first request to their service, so a shell's AWS_PROFILE naming no
    profile failed that request, and one naming a real profile was read."""
    for name in [*CREDENTIAL_VARIABLES, *(name for name in os.environ if name.startswith(ENDPOINT_PREFIX))]:
        os.environ.pop(name, None)
    os.environ.update(TEST_KEYS)
    os.environ.update(
        {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}
    )


# The variables that name a profile: botocore reads them whenever it makes a session.
PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


@contextmanager
def profiles_hidden() -> Iterator[None]:
    """This process's environment without the variables that name a profile, for what moto makes
    a session in (some of its modules make a boto3 client as they are imported, moto.xray through
    the X-Ray SDK): a shell's profile that does not exist would fail it with ProfileNotFound."""
    hidden = {name: os.environ.pop(name) for name in PROFILE_VARIABLES if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


# One botocore session per region, made blind to profiles and ini files, shared by every client
# of the local cloud; a lock, because a session is not safe to make clients from in two threads.
_SESSIONS: dict[str, boto3.session.Session] = {}
_SESSIONS_LOCK = threading.Lock()


def _session(region: str) -> boto3.session.Session:
    """Test keys, no profile, no config or credentials file: a shell whose AWS_PROFILE names a
    profile (or none that exists) changes nothing, and no real credential is ever found."""
    core = botocore.session.Session()
    store = core.get_component("config_store")
    for variable in ("config_file", "credentials_file"):
        store.set_config_variable(variable, os.devnull)
    store.set_config_variable("profile", None)  # not AWS_PROFILE: the default, absent with no files
    return boto3.session.Session(
        region_name=region,
        aws_access_key_id=TEST_KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=TEST_KEYS["AWS_SECRET_ACCESS_KEY"],
        botocore_session=core,
    )


def local_client(service: str, endpoint_url: str, *, region: str = REGION, attempts: int = 3, **kwargs: Any) -> Any:
    """A boto3 client of the local cloud with test keys, whatever the shell holds: never a profile
    or real credentials. The one place the local cloud's code makes a client."""
    config = kwargs.pop("config", None) or Config(
        retries={"mode": "standard", "total_max_attempts": attempts}, max_pool_connections=128
    )
    with _SESSIONS_LOCK:
        if region not in _SESSIONS:
            _SESSIONS[region] = _session(region)
        return _SESSIONS[region].client(  # type: ignore[call-overload]
            service, endpoint_url=endpoint_url, config=config, **kwargs
        )
