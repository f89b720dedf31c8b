"""The CDK CLI through CloudFormation's other doors, against a local cloud served as `python -m
localcloud up` serves it: `cdk deploy --method=direct` creates and updates a stack with
CreateStack and UpdateStack (no change set), and `cdk import` adopts a parameter made by hand.

The cloud is the worker's shared one (tests/e2e/cli_cloud.py): the stack Direct and the parameters
under /direct/ are this journey's alone."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.local_env import local_client as client

from .cli_cloud import CliCloud
from .cli_cloud import cdk as journey_cdk
from .conftest import REPOSITORY, cdk_synth

pytestmark = pytest.mark.slow

APP = REPOSITORY / "tests" / "e2e" / "apps" / "direct.py"
STACK = "Direct"
OWN, ADOPTED = "/direct/own", "/direct/adopted"


@pytest.fixture(scope="session")
def direct_assembly() -> Path:
    return cdk_synth("e2e-direct", "--app", f"{sys.executable} {APP}")


def stack_events(url: str) -> list[dict[str, Any]]:
    """The stack's own events, oldest first."""
    pages = client("cloudformation", url).get_paginator("describe_stack_events").paginate(StackName=STACK)
    found = [e for page in pages for e in page["StackEvents"] if e["ResourceType"] == "AWS::CloudFormation::Stack"]
    return list(reversed(found))


def test_direct_deploys_and_an_import_with_the_cdk_cli(cli_cloud: CliCloud, direct_assembly, tmp_path):
    local_cloud = cli_cloud.url

    def cdk(*args: str) -> str:
        return journey_cdk([*args, "--app", str(direct_assembly)], local_cloud, tmp_path / "home")

    cloudformation, ssm = client("cloudformation", local_cloud), client("ssm", local_cloud)

    # create, with CreateStack
    cdk("deploy", "Direct-v1", "--method=direct", "--require-approval", "never")
    (created,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    assert created["StackStatus"] == "CREATE_COMPLETE"
    assert created["Outputs"][0]["OutputValue"] == "one"
    assert ssm.get_parameter(Name=OWN)["Parameter"]["Value"] == "one"

    # update, with UpdateStack
    cdk("deploy", "Direct-v2", "--method=direct", "--require-approval", "never")
    (updated,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    assert (updated["StackId"], updated["StackStatus"]) == (created["StackId"], "UPDATE_COMPLETE")
    assert ssm.get_parameter(Name=OWN)["Parameter"]["Value"] == "two"
    assert [e["ResourceStatus"] for e in stack_events(local_cloud)] == [
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ]  # no REVIEW_IN_PROGRESS: no change set was ever made
    assert cloudformation.list_change_sets(StackName=STACK)["Summaries"] == []

    # a parameter made by hand, adopted by `cdk import` with a resource mapping (no prompt)
    ssm.put_parameter(Name=ADOPTED, Value="made-by-hand", Type="String")
    template = json.loads((direct_assembly / "Direct-adopting.template.json").read_text())
    (logical_id,) = [k for k, r in template["Resources"].items() if r.get("Properties", {}).get("Name") == ADOPTED]
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({logical_id: {"Name": ADOPTED}}))
    # --force: the stack's own resources differ only in their construct path (Direct-v2 -> Direct-adopting)
    cdk("import", "Direct-adopting", "--resource-mapping", str(mapping), "--force")
    (imported,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    assert imported["StackStatus"] == "IMPORT_COMPLETE"
    resource = cloudformation.describe_stack_resource(StackName=STACK, LogicalResourceId=logical_id)
    assert resource["StackResourceDetail"]["PhysicalResourceId"] == ADOPTED
    assert ssm.get_parameter(Name=ADOPTED)["Parameter"]["Version"] == 1  # adopted, not written

    # destroyed: the stack's own parameter goes, the adopted one (RETAIN) stays
    cdk("destroy", "Direct-adopting", "--force")
    with pytest.raises(ClientError, match="does not exist"):
        cloudformation.describe_stacks(StackName=STACK)
    assert ssm.get_parameter(Name=ADOPTED)["Parameter"]["Value"] == "made-by-hand"
    assert not ssm.get_parameters(Names=[OWN])["Parameters"]
