"""The environment of every tool run against the local cloud: nothing in it can reach a real account."""

import shutil
import subprocess
from pathlib import Path

from localcloud.cdk_cli import QUIET, cdk_environment
from localcloud.local_env import local_environment

URL = "http://127.0.0.1:4566"

PRODUCTION_SHELL = {
    "PATH": "/usr/bin",
    "HOME": "/home/dev",
    "AWS_PROFILE": "production",
    "AWS_DEFAULT_PROFILE": "production",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "token",
    "AWS_SECURITY_TOKEN": "token",
    "AWS_ROLE_ARN": "arn:aws:iam::999999999999:role/admin",
    "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.2/creds",
    "AWS_CONFIG_FILE": "/home/dev/.aws/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/home/dev/.aws/credentials",
    "AWS_ENDPOINT_URL_CLOUDFORMATION": "https://cloudformation.eu-west-1.amazonaws.com",
    "AWS_ENDPOINT_URL_STS": "https://sts.amazonaws.com",
    "AWS_REGION": "eu-west-1",
    "CDK_DEFAULT_ACCOUNT": "999999999999",
    "CDK_HOME": "/home/dev/.cdk",
}


def test_a_production_shell_is_made_local(tmp_path):
    env = local_environment(URL, home=tmp_path / "home", inherited=PRODUCTION_SHELL)

    # only test keys, and no way to another: no profile, token, role, container or instance credentials
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")
    for gone in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN"):
        assert gone not in env
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" not in env and "AWS_CONTAINER_CREDENTIALS_FULL_URI" not in env
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert "CDK_DEFAULT_ACCOUNT" not in env
    # the ini files are private and empty
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        assert env[name].startswith(str(tmp_path)) and Path(env[name]).read_text() == ""
    # every endpoint variable points here
    endpoints = {name: value for name, value in env.items() if name.startswith("AWS_ENDPOINT_URL")}
    assert set(endpoints.values()) == {URL}
    assert {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDFORMATION", "AWS_ENDPOINT_URL_STS"} <= set(endpoints)
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    # the CDK CLI: a private home, and nothing sent out
    assert env["CDK_HOME"].startswith(str(tmp_path))
    assert env["CDK_DISABLE_CLI_TELEMETRY"] == env["CDK_DISABLE_VERSION_CHECK"] == "true"
    assert "--no-notices" in QUIET
    # the rest of the shell is kept
    assert (env["PATH"], env["HOME"]) == ("/usr/bin", "/home/dev")


def test_the_clis_node_is_the_binary_itself_and_node_24(tmp_path):
    env = cdk_environment(URL, tmp_path / "home", inherited=PRODUCTION_SHELL)

    node = shutil.which("node", path=env["PATH"])
    assert node is not None
    with open(node, "rb") as file:
        assert file.read(2) != b"#!", "the first node on the PATH is a script, not Node.js itself"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v24."), version
    assert env["PATH"].endswith(PRODUCTION_SHELL["PATH"])
