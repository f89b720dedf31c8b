"""The local CloudFormation's API, through boto3's own cloudformation client over HTTP.

The API is served by a small HTTP wrapper of `CloudFormationApi.handle` (what the endpoint does
for requests signed for `cloudformation`); every other service it uses (S3, SSM, IAM, ECR,
Logs) is moto's, in this process, at `endpoint_url`. No timing is asserted: stack operations run
in the background and are polled with generous timeouts.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.cloudformation.api import EMPTY_CHANGE_SET, CloudFormationApi
from localcloud.endpoint.moto_services import blind_moto_to_profiles

moto_server = pytest.importorskip("moto.server")

REPOSITORY = Path(__file__).resolve().parents[2]
BOOTSTRAP_TEMPLATE = REPOSITORY / "node_modules" / "aws-cdk" / "lib" / "api" / "bootstrap" / "bootstrap-template.yaml"
TERMINAL = ("_COMPLETE", "_FAILED")
KEYS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}


# --- the services ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def services_url() -> Iterator[str]:
    """moto's S3, SSM, IAM, ECR and Logs: what the endpoint routes to moto."""
    blind_moto_to_profiles()  # as the endpoint does: a test below sets AWS_PROFILE
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class QueryServer:
    """CloudFormation's query protocol over HTTP, answered by `api.handle`."""

    def __init__(self, api: CloudFormationApi) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                status, answer = api.handle(dict(parse_qsl(body, keep_blank_values=True)))
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Cloud:
    """A running CloudFormationApi, a boto3 client of it, and clients of the services."""

    def __init__(self, services_url: str, state_dir: Path) -> None:
        self.services_url = services_url
        self.state_dir = state_dir
        self.api = CloudFormationApi(services_url, state_dir)
        self.api.start()
        self.server = QueryServer(self.api)
        self.cfn: Any = boto3.client(  # type: ignore[call-overload]
            "cloudformation", endpoint_url=self.server.url, config=Config(retries={"max_attempts": 1}), **KEYS
        )

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.services_url, **KEYS)  # type: ignore[call-overload]

    def stop(self) -> None:
        self.server.stop()
        self.api.wait_idle(120)
        self.api.stop()

    # --- what a test does, as the CDK CLI does it

    def change_set(self, stack: str, change_set_type: str = "CREATE", **template: Any) -> dict[str, Any]:
        if isinstance(template.get("TemplateBody"), dict):
            template["TemplateBody"] = json.dumps(template["TemplateBody"])
        created = self.cfn.create_change_set(
            StackName=stack,
            ChangeSetName="cdk-deploy-change-set",
            ChangeSetType=change_set_type,
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            **template,
        )
        described: dict[str, Any] = self.cfn.describe_change_set(
            ChangeSetName=created["Id"], StackName=created["StackId"], IncludePropertyValues=True
        )
        return described

    def deploy(self, stack: str, change_set_type: str = "CREATE", **template: Any) -> dict[str, Any]:
        change_set = self.change_set(stack, change_set_type, **template)
        assert change_set["Status"] == "CREATE_COMPLETE", change_set.get("StatusReason")
        self.cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"], StackName=stack)
        return self.settled(change_set["StackId"])

    def settled(self, stack_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            (stack,) = self.cfn.describe_stacks(StackName=stack_id)["Stacks"]
            if stack["StackStatus"].endswith(TERMINAL) and not stack["StackStatus"].endswith("CLEANUP_IN_PROGRESS"):
                return dict(stack)
            assert time.monotonic() < deadline, f"stack still {stack['StackStatus']}"
            time.sleep(0.1)

    def events(self, stack: str) -> list[dict[str, Any]]:
        pages = self.cfn.get_paginator("describe_stack_events").paginate(StackName=stack)
        return [event for page in pages for event in page["StackEvents"]]


@pytest.fixture
def cloud(services_url: str, tmp_path: Path) -> Iterator[Cloud]:
    running = Cloud(services_url, tmp_path / "state")
    try:
        yield running
    finally:
        running.stop()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def parameter_template(name: str, value: str, export: str = "") -> dict[str, Any]:
    output: dict[str, Any] = {"Value": {"Ref": "Param"}, "Description": "the parameter's name"}
    if export:
        output["Export"] = {"Name": export}
    return {
        "Resources": {
            "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": name, "Type": "String", "Value": value}}
        },
        "Outputs": {"ParamName": output, "ParamValue": {"Value": {"Fn::GetAtt": ["Param", "Value"]}}},
    }


def error_of(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value


# --- change sets, stacks, events, templates ----------------------------------------------------------


def test_a_stack_through_change_sets_from_creation_to_deletion(cloud: Cloud) -> None:
    stack, name, export = unique("Shop"), f"/shop/{unique('p')}", unique("Shared")
    template = parameter_template(name, "v1", export)
    body = json.dumps(template, indent=3)  # kept verbatim

    # CREATE: the stack waits in REVIEW_IN_PROGRESS; its change set adds the resource
    change_set = cloud.change_set(stack, TemplateBody=body)
    assert cloud.cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    (add,) = [c["ResourceChange"] for c in change_set["Changes"]]
    assert (add["Action"], add["LogicalResourceId"], add["ResourceType"]) == ("Add", "Param", "AWS::SSM::Parameter")
    assert change_set["ExecutionStatus"] == "AVAILABLE"
    assert [s["ChangeSetName"] for s in cloud.cfn.list_change_sets(StackName=stack)["Summaries"]] == [
        "cdk-deploy-change-set"
    ]

    cloud.cfn.execute_change_set(ChangeSetName="cdk-deploy-change-set", StackName=stack)
    described = cloud.settled(change_set["StackId"])
    assert described["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o for o in described["Outputs"]}
    assert outputs["ParamName"]["OutputValue"] == name and outputs["ParamName"]["ExportName"] == export
    assert outputs["ParamName"]["Description"] == "the parameter's name"
    assert outputs["ParamValue"]["OutputValue"] == "v1"
    assert cloud.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "v1"  # really in SSM
    assert {"Name": export, "Value": name} in [
        {"Name": e["Name"], "Value": e["Value"]} for e in cloud.cfn.list_exports()["Exports"]
    ]

    # the stored body, verbatim: a redeploy of the same template is a no-op for the CDK CLI
    stored = cloud.cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    assert stored == template  # boto3 decodes a JSON body
    raw = cloud.api.handle({"Action": "GetTemplate", "Version": "2010-05-15", "StackName": stack})[1].decode()
    assert f"<TemplateBody>{escape(body)}</TemplateBody>" in raw

    # the same template again: an empty change set, FAILED with CloudFormation's words
    empty = cloud.change_set(stack, "UPDATE", TemplateBody=body)
    assert (empty["Status"], empty["StatusReason"]) == ("FAILED", EMPTY_CHANGE_SET)
    assert empty["ExecutionStatus"] == "UNAVAILABLE"
    cloud.cfn.delete_change_set(ChangeSetName="cdk-deploy-change-set", StackName=stack)
    missing = error_of(lambda: cloud.cfn.describe_change_set(ChangeSetName="cdk-deploy-change-set", StackName=stack))
    assert missing.response["Error"]["Code"] == "ChangeSetNotFound"
    assert missing.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    # UPDATE: a modified property, in place
    update = cloud.change_set(stack, "UPDATE", TemplateBody=json.dumps(parameter_template(name, "v2", export)))
    (modify,) = [c["ResourceChange"] for c in update["Changes"]]
    assert (modify["Action"], modify["Replacement"], modify["PhysicalResourceId"]) == ("Modify", "False", name)
    (detail,) = modify["Details"]
    assert detail["Target"]["Name"] == "Value" and detail["Target"]["RequiresRecreation"] == "Never"
    assert (detail["Target"]["BeforeValue"], detail["Target"]["AfterValue"]) == ("v1", "v2")
    cloud.cfn.execute_change_set(ChangeSetName=update["ChangeSetId"])
    updated = cloud.settled(stack)
    assert updated["StackStatus"] == "UPDATE_COMPLETE"
    assert cloud.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "v2"

    # the events: newest first, unique ids, none before the change set, the stack's own with its id
    events = cloud.events(stack)
    assert len({e["EventId"] for e in events}) == len(events)
    assert [e["Timestamp"] for e in events] == sorted((e["Timestamp"] for e in events), reverse=True)
    assert all(e["Timestamp"] >= change_set["CreationTime"] for e in events)
    stack_events = [e for e in events if e["ResourceType"] == "AWS::CloudFormation::Stack"]
    assert {e["PhysicalResourceId"] for e in stack_events} == {change_set["StackId"]}
    assert [e["ResourceStatus"] for e in reversed(stack_events)] == [
        "REVIEW_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ]
    assert [
        e["PhysicalResourceId"]
        for e in events
        if e["ResourceStatus"] == "CREATE_COMPLETE" and e["LogicalResourceId"] == "Param"
    ] == [name]
    resources = cloud.cfn.describe_stack_resources(StackName=stack)["StackResources"]
    assert [(r["LogicalResourceId"], r["PhysicalResourceId"], r["ResourceStatus"]) for r in resources] == [
        ("Param", name, "UPDATE_COMPLETE")
    ]

    # DeleteStack by ARN: gone by name, DELETE_COMPLETE by ARN, the parameter gone from SSM
    cloud.cfn.delete_stack(StackName=change_set["StackId"])
    assert cloud.settled(change_set["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    gone = error_of(lambda: cloud.cfn.describe_stacks(StackName=stack))
    assert gone.response["Error"] == {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": f"Stack with id {stack} does not exist",
    }
    assert gone.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (
        error_of(lambda: cloud.client("ssm").get_parameter(Name=name)).response["Error"]["Code"] == "ParameterNotFound"
    )


def test_errors_come_in_the_shapes_the_cli_parses(cloud: Cloud) -> None:
    missing = error_of(lambda: cloud.cfn.describe_stacks(StackName="Nowhere"))
    assert missing.response["Error"]["Message"] == "Stack with id Nowhere does not exist"
    arn = "arn:aws:cloudformation:us-east-1:123456789012:stack/Nowhere/0f0f"
    assert error_of(lambda: cloud.cfn.describe_stacks(StackName=arn)).response["Error"]["Message"] == (
        f"Stack with id {arn} does not exist"
    )
    not_found = error_of(lambda: cloud.cfn.describe_change_set(ChangeSetName="cs", StackName="Nowhere"))
    assert isinstance(not_found, cloud.cfn.exceptions.ChangeSetNotFoundException)
    update_of_nothing = error_of(
        lambda: cloud.change_set("Nowhere", "UPDATE", TemplateBody=parameter_template("/x", "y"))
    )
    assert update_of_nothing.response["Error"]["Message"] == "Stack [Nowhere] does not exist"
    no_template = error_of(
        lambda: cloud.cfn.create_change_set(StackName="S", ChangeSetName="c", ChangeSetType="CREATE")
    )
    assert "Template" in no_template.response["Error"]["Message"]

    # an action the local cloud lacks: the query error shape, and it is logged
    status, body = cloud.api.handle({"Action": "DetectStackDrift", "Version": "2010-05-15", "StackName": "S"})
    assert status == 400 and b"<Code>InvalidAction</Code>" in body and b"<Type>Sender</Type>" in body
    assert cloud.api.unknown_actions == ["DetectStackDrift"]
    # a malformed request: the service's validation error
    status, body = cloud.api.handle({"Action": "CreateChangeSet", "Version": "2010-05-15", "StackName": "S"})
    assert status == 400 and b"<Code>ValidationError</Code>" in body and b"changeSetName" in body
    # IAM without the capability
    iam = {
        "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r", "AssumeRolePolicyDocument": {}}}}
    }
    refused = error_of(
        lambda: cloud.cfn.create_change_set(
            StackName="S", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=json.dumps(iam)
        )
    )
    assert refused.response["Error"]["Code"] == "InsufficientCapabilitiesException"


def two_parameters(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {
            "Left": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", **first}},
            "Right": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", **second}},
        }
    }


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            two_parameters({"Value": {"Fn::GetAtt": ["Right", "Value"]}}, {"Value": {"Ref": "Left"}}),
            "Circular dependency between resources: [Left, Right]",
        ),
        (
            two_parameters({"Value": "v"}, {"Value": {"Ref": "Missing"}}),
            "Template format error: Unresolved resource dependencies [Missing] in the Resources block of the template",
        ),
        (
            {"Resources": {"Thing": {"Type": "AWS::Foo::Bar::Baz::Qux"}}},
            "Template format error: Unrecognized resource types: [AWS::Foo::Bar::Baz::Qux]",
        ),
    ],
    ids=["circular", "unresolved-ref", "unrecognized-type"],
)
def test_a_template_that_cannot_run_is_refused_and_leaves_no_stack(
    cloud: Cloud, template: dict[str, Any], message: str
) -> None:
    stack = unique("Refused")

    refused = error_of(lambda: cloud.change_set(stack, TemplateBody=template))

    assert refused.response["Error"]["Code"] == "ValidationError"
    assert refused.response["Error"]["Message"] == message
    assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # a refused CREATE change set makes nothing: no stack waits in REVIEW_IN_PROGRESS
    missing = error_of(lambda: cloud.cfn.describe_stacks(StackName=stack))
    assert missing.response["Error"]["Message"] == f"Stack with id {stack} does not exist"
    assert stack not in [summary["StackName"] for summary in cloud.cfn.list_stacks()["StackSummaries"]]
    # ValidateTemplate says the same
    invalid = error_of(lambda: cloud.cfn.validate_template(TemplateBody=json.dumps(template)))
    assert (invalid.response["Error"]["Code"], invalid.response["Error"]["Message"]) == ("ValidationError", message)


BOOTSTRAP_CHECK = {
    "Parameters": {
        "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/{q}/version"}
    },
    "Rules": {
        "CheckBootstrapVersion": {
            "Assertions": [
                {
                    "Assert": {"Fn::Not": [{"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}]},
                    "AssertDescription": "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a "
                    "recent version of the CDK CLI.",
                }
            ]
        }
    },
}


def bootstrap_checked(qualifier: str, name: str) -> dict[str, Any]:
    template = json.loads(json.dumps(BOOTSTRAP_CHECK).replace("{q}", qualifier))
    return {**template, **parameter_template(name, "v")}


def test_the_bootstrap_version_parameter_and_its_rule(cloud: Cloud) -> None:
    qualifier = unique("q")[:10]
    version = f"/cdk-bootstrap/{qualifier}/version"
    template = bootstrap_checked(qualifier, f"/{unique('p')}")

    # no version parameter: CloudFormation cannot resolve the SSM parameter type
    unresolved = error_of(lambda: cloud.change_set(unique("Old"), TemplateBody=template))
    assert unresolved.response["Error"]["Message"] == (
        f"Unable to fetch parameters [{version}] from parameter store for this account."
    )
    # version 3: the rule's assertion fails with its description
    cloud.client("ssm").put_parameter(Name=version, Value="3", Type="String")
    refused = error_of(lambda: cloud.change_set(unique("Old"), TemplateBody=template))
    assert refused.response["Error"]["Code"] == "ValidationError"
    assert refused.response["Error"]["Message"].startswith("CDK bootstrap stack version 6 required.")
    # version 33: deployed; the parameter is shown with its resolved value
    cloud.client("ssm").put_parameter(Name=version, Value="33", Type="String", Overwrite=True)
    stack = unique("New")
    deployed = cloud.deploy(stack, TemplateBody=template)
    assert deployed["StackStatus"] == "CREATE_COMPLETE"
    assert deployed["Parameters"] == [
        {"ParameterKey": "BootstrapVersion", "ParameterValue": version, "ResolvedValue": "33"}
    ]
    # the CLI's update: UsePreviousValue for BootstrapVersion
    template["Resources"]["Param"]["Properties"]["Value"] = "w"
    updated = cloud.deploy(
        stack,
        "UPDATE",
        TemplateBody=template,
        Parameters=[{"ParameterKey": "BootstrapVersion", "UsePreviousValue": True}],
    )
    assert updated["StackStatus"] == "UPDATE_COMPLETE"


def test_a_type_the_local_cloud_does_not_emulate_is_refused_when_the_change_set_is_made(cloud: Cloud) -> None:
    stack, name = unique("Pipe"), f"/{unique('p')}"
    template = parameter_template(name, "v")
    template["Resources"]["Pipe"] = {"Type": "AWS::Pipes::Pipe", "DependsOn": "Param"}

    refused = error_of(lambda: cloud.change_set(stack, TemplateBody=template))

    assert refused.response["Error"]["Code"] == "ValidationError"
    message = refused.response["Error"]["Message"]
    assert message.startswith("The local cloud does not emulate resource types: [AWS::Pipes::Pipe]; it emulates ")
    assert "AWS::SSM::Parameter" in message and "AWS::SQS::Queue" in message and "Custom::*" in message
    # refused before anything is made: no stack, no parameter
    assert error_of(lambda: cloud.cfn.describe_stacks(StackName=stack)).response["Error"]["Code"] == "ValidationError"
    assert (
        error_of(lambda: cloud.client("ssm").get_parameter(Name=name)).response["Error"]["Code"] == "ParameterNotFound"
    )


YAML_TEMPLATE = """
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Stage:
    Type: String
    Default: prod
    AllowedValues: [prod, test]
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsTest: !Not [!Condition IsProd]
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "/${AWS::StackName}/stage"
      Type: String
      Value: !If [IsProd, !Join ["-", [live, !Ref "AWS::Region"]], testing]
  TestOnly:
    Type: AWS::SSM::Parameter
    Condition: IsTest
    Properties: {Type: String, Value: x}
Outputs:
  Name:
    Value: !Ref Param
  Value:
    Value: !GetAtt Param.Value
  Zone:
    Value: !Select [1, !Split [",", "a,b,c"]]
"""


def test_a_yaml_template_with_short_forms(cloud: Cloud) -> None:
    stack = unique("Yaml")

    described = cloud.deploy(stack, TemplateBody=YAML_TEMPLATE)

    assert described["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    assert outputs == {"Name": f"/{stack}/stage", "Value": "live-us-east-1", "Zone": "b"}
    resources = cloud.cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    assert [r["LogicalResourceId"] for r in resources] == ["Param"]  # TestOnly's condition is false
    assert cloud.cfn.get_template(StackName=stack)["TemplateBody"] == YAML_TEMPLATE  # verbatim YAML


def test_a_template_url_in_both_forms(cloud: Cloud) -> None:
    s3 = cloud.client("s3")
    bucket = unique("cdk-assets-")
    s3.create_bucket(Bucket=bucket)
    for form in (f"{cloud.services_url}/{bucket}/{{key}}", f"https://s3.us-east-1.amazonaws.com/{bucket}/{{key}}"):
        key, stack = f"{uuid.uuid4().hex}.json", unique("Url")
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(parameter_template(f"/{stack}", "from-s3")).encode())

        described = cloud.deploy(stack, TemplateURL=form.format(key=key))

        assert described["StackStatus"] == "CREATE_COMPLETE", form
        assert {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}["ParamValue"] == "from-s3"
    missing = error_of(
        lambda: cloud.change_set(unique("Url"), TemplateURL=f"{cloud.services_url}/{bucket}/nothing.json")
    )
    assert missing.response["Error"]["Code"] == "ValidationError"


def test_events_are_paged_newest_first(cloud: Cloud) -> None:
    stack = unique("Many")
    template = {
        "Resources": {
            f"P{i}": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": f"/{stack}/{i}", "Type": "String", "Value": "v"},
            }
            for i in range(40)
        }
    }
    stack_id = cloud.deploy(stack, TemplateBody=template)["StackId"]
    cloud.cfn.delete_stack(StackName=stack)
    cloud.settled(stack_id)

    first = cloud.cfn.describe_stack_events(StackName=stack_id)
    assert len(first["StackEvents"]) == 100 and "NextToken" in first
    events = cloud.events(stack_id)
    assert len(events) == len({e["EventId"] for e in events}) > 160
    assert events[0]["ResourceStatus"] == "DELETE_COMPLETE" and events[-1]["ResourceStatus"] == "REVIEW_IN_PROGRESS"
    assert [e["Timestamp"] for e in events] == sorted((e["Timestamp"] for e in events), reverse=True)


def test_a_read_of_a_running_stack_is_answered_once_its_operation_has_ended(cloud: Cloud) -> None:
    """What saves `cdk deploy` its 5 s polls: DescribeStacks naming a stack in progress waits for
    the operation (`Settings.running_stack_read_wait`); other reads and a wait of 0 answer at once."""
    reached, release = threading.Event(), threading.Event()

    def hold_the_parameter(stack: str, logical_id: str, resource_type: str, status: str, reason: str) -> None:
        if logical_id == "Param" and status == "CREATE_IN_PROGRESS":
            reached.set()
            release.wait(120)

    cloud.api.engine.listen(hold_the_parameter)
    stack = unique("Held")
    change_set = cloud.change_set(stack, TemplateBody=parameter_template(f"/{stack}", "v"))
    cloud.cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"], StackName=stack)
    assert reached.wait(120)

    cloud.api.settings.running_stack_read_wait = 0
    (running,) = cloud.cfn.describe_stacks(StackName=stack)["Stacks"]
    assert running["StackStatus"] == "CREATE_IN_PROGRESS"
    cloud.api.settings.running_stack_read_wait = 30
    (listed,) = [s for s in cloud.cfn.describe_stacks()["Stacks"] if s["StackName"] == stack]  # names no stack
    assert listed["StackStatus"] == "CREATE_IN_PROGRESS"

    answers: list[str] = []
    reader = threading.Thread(
        target=lambda: answers.append(cloud.cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
    )
    reader.start()
    reader.join(0.5)  # time for the read to arrive; one that arrives later can only see the stack done
    release.set()
    reader.join(60)
    assert answers == ["CREATE_COMPLETE"]


# --- Lambda-backed custom resources, code from S3 ----------------------------------------------------

HANDLER = """
import json, os, urllib.request

def handler(event, context):
    props = event["ResourceProperties"]
    failing = props.get("Fail") == "yes" and event["RequestType"] != "Delete"
    answer = {
        "Status": "FAILED" if failing else "SUCCESS",
        "Reason": "the handler says no: the dataset group holds a foreign tracker" if failing else "",
        "PhysicalResourceId": event.get("PhysicalResourceId") or "thing-" + event["LogicalResourceId"],
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {
            "Echo": props.get("Value", ""),
            "Endpoint": os.environ.get("AWS_ENDPOINT_URL", ""),
            "Profile": os.environ.get("AWS_PROFILE", "none"),
            "Key": os.environ.get("AWS_ACCESS_KEY_ID", ""),
        },
    }
    body = json.dumps(answer).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""})
    urllib.request.urlopen(request, timeout=10).read()
"""


def custom_template(bucket: str, key: str, value: str, fail: str = "no") -> dict[str, Any]:
    return {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
            },
            "Provider": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Code": {"S3Bucket": bucket, "S3Key": key},
                    "Handler": "index.handler",
                    "Runtime": "python3.13",
                    "Timeout": 30,
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                },
            },
            "Thing": {
                "Type": "Custom::Thing",
                "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}, "Value": value, "Fail": fail},
            },
        },
        "Outputs": {
            "Echo": {"Value": {"Fn::GetAtt": ["Thing", "Echo"]}},
            "Endpoint": {"Value": {"Fn::GetAtt": ["Thing", "Endpoint"]}},
            "Profile": {"Value": {"Fn::GetAtt": ["Thing", "Profile"]}},
            "Key": {"Value": {"Fn::GetAtt": ["Thing", "Key"]}},
        },
    }


def test_a_custom_resource_runs_the_zip_from_s3_and_its_failure_is_the_event_reason(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, iam, logs = cloud.client("s3"), cloud.client("iam"), cloud.client("logs")
    monkeypatch.setenv("AWS_PROFILE", "production")  # reaches neither the engine nor the function
    bucket, key = unique("cdk-assets-"), f"{uuid.uuid4().hex}.zip"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("index.py", HANDLER)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=archive.getvalue())
    stack = unique("Custom")

    created = cloud.deploy(stack, TemplateBody=custom_template(bucket, key, "one"))

    assert created["StackStatus"] == "CREATE_COMPLETE", [e.get("ResourceStatusReason") for e in cloud.events(stack)]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created["Outputs"]}
    assert outputs == {"Echo": "one", "Endpoint": cloud.services_url, "Profile": "none", "Key": "test"}
    code_dirs = list((cloud.state_dir / "cloudformation" / "lambda-code").iterdir())
    assert [d.name for d in code_dirs if not d.name.startswith(".")] and (code_dirs[0] / "index.py").exists()
    role = cloud.cfn.describe_stack_resource(StackName=stack, LogicalResourceId="Role")["StackResourceDetail"]
    assert iam.get_role(RoleName=role["PhysicalResourceId"])["Role"]["RoleName"]  # really in IAM

    # a failing update: the handler's reason is the event's; the stack rolls back
    failing = cloud.change_set(
        stack, "UPDATE", TemplateBody=json.dumps(custom_template(bucket, key, "two", fail="yes"))
    )
    (modify,) = [c["ResourceChange"] for c in failing["Changes"]]
    assert (modify["LogicalResourceId"], modify["Replacement"]) == ("Thing", "False")
    assert {d["Target"]["Name"] for d in modify["Details"]} == {"Value", "Fail"}
    cloud.cfn.execute_change_set(ChangeSetName=failing["ChangeSetId"])
    rolled_back = cloud.settled(stack)

    assert rolled_back["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    (failed,) = [e for e in cloud.events(stack) if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert "the handler says no: the dataset group holds a foreign tracker" in failed["ResourceStatusReason"]
    assert {o["OutputKey"]: o["OutputValue"] for o in rolled_back["Outputs"]}["Echo"] == "one"
    # each invocation's output went to the function's log group, as Lambda's does: the invocations came
    # one after another, so one warm environment served them, and its stream holds them all
    function = cloud.cfn.describe_stack_resource(StackName=stack, LogicalResourceId="Provider")["StackResourceDetail"]
    group = f"/aws/lambda/{function['PhysicalResourceId']}"
    (stream,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    lines = [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
    starts = [line for line in lines if line.startswith("START RequestId: ")]
    assert len(starts) >= 3  # Create, the failed Update, the rollback's Update
    assert len([line for line in lines if line.startswith("REPORT RequestId: ")]) == len(starts)
    assert sum("Init Duration" in line for line in lines) == 1
    assert "/[$LATEST]" in stream["logStreamName"]

    cloud.cfn.delete_stack(StackName=stack)
    assert cloud.settled(created["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert not [r for r in iam.list_roles()["Roles"] if r["RoleName"] == role["PhysicalResourceId"]]


def test_a_restart_keeps_stacks_change_sets_and_events(services_url: str, tmp_path: Path) -> None:
    first = Cloud(services_url, tmp_path)
    stack = unique("Kept")
    try:
        deployed = first.deploy(stack, TemplateBody=parameter_template(f"/{stack}", "v"))
        pending = first.change_set(stack, "UPDATE", TemplateBody=parameter_template(f"/{stack}", "w"))
        events = first.events(stack)
    finally:
        first.stop()
    second = Cloud(services_url, tmp_path)
    try:
        assert second.cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackId"] == deployed["StackId"]
        assert second.events(stack) == events
        assert second.cfn.describe_change_set(ChangeSetName=pending["ChangeSetId"])["Status"] == "CREATE_COMPLETE"
    finally:
        second.stop()


# --- the CDK's bootstrap template ---------------------------------------------------------------------


@pytest.mark.skipif(not BOOTSTRAP_TEMPLATE.exists(), reason="the pinned CDK CLI is not installed")
def test_the_cdk_bootstrap_template_deploys(cloud: Cloud) -> None:
    # as `cdk bootstrap` sends it: inline YAML, its parameters, ImportExistingResources
    qualifier = unique("b")[:9]
    parameters = {
        "TrustedAccounts": "",
        "TrustedAccountsForLookup": "",
        "CloudFormationExecutionPolicies": "",
        "FileAssetsBucketKmsKeyId": "AWS_MANAGED_KEY",
        "PublicAccessBlockConfiguration": "true",
        "Qualifier": qualifier,
    }
    # the endpoint made the assets bucket before any bootstrap: it is taken over
    cloud.client("s3").create_bucket(Bucket=f"cdk-{qualifier}-assets-123456789012-us-east-1")

    described = cloud.deploy(
        unique("CDKToolkit"),
        TemplateBody=BOOTSTRAP_TEMPLATE.read_text(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        ImportExistingResources=True,
    )

    assert described["StackStatus"] == "CREATE_COMPLETE", [
        e.get("ResourceStatusReason") for e in cloud.events(described["StackName"]) if "FAILED" in e["ResourceStatus"]
    ]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    assert outputs["BucketName"] == f"cdk-{qualifier}-assets-123456789012-us-east-1"
    assert outputs["BootstrapVersion"] == "33"
    ssm = cloud.client("ssm")
    assert ssm.get_parameter(Name=f"/cdk-bootstrap/{qualifier}/version")["Parameter"]["Value"] == "33"
    role = cloud.client("iam").get_role(RoleName=f"cdk-{qualifier}-deploy-role-123456789012-us-east-1")["Role"]
    assert role["Arn"].endswith(f"cdk-{qualifier}-deploy-role-123456789012-us-east-1")
    repositories = cloud.client("ecr").describe_repositories()["repositories"]
    assert f"cdk-{qualifier}-container-assets-123456789012-us-east-1" in [r["repositoryName"] for r in repositories]
    # the endpoint is plain HTTP: the bucket's "TLS only" statement is kept in the stack, not applied
    s3 = cloud.client("s3")
    assert error_of(lambda: s3.get_bucket_policy(Bucket=outputs["BucketName"])).response["Error"]["Code"] == (
        "NoSuchBucketPolicy"
    )
    s3.put_object(Bucket=outputs["BucketName"], Key="asset.zip", Body=b"uploads work")
