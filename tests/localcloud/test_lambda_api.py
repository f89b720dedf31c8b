"""Lambda's API at the endpoint, through boto3, for the functions a stack deploys.

One endpoint serves the module: its stack `Functions` deploys the functions most tests invoke
(inline code, and a zip in S3), and the tests of custom resources deploy stacks of their own.
Nothing is timed: what runs in the background (an Event invocation, a stack operation) is
waited for with a generous timeout, and what is asserted is what a user would see.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.cloudformation import Settings
from localcloud.cloudformation.state import FunctionName, function_name_parts
from localcloud.endpoint import Endpoint, assets_bucket

ROLE = "arn:aws:iam::123456789012:role/lambda-role"
TERMINAL = ("_COMPLETE", "_FAILED")
FUNCTION = """
import json, os, sys, time

CALLS = []  # module state: what the warm environment keeps between invocations


def handler(event, context):
    CALLS.append(context.aws_request_id)
    print("event", json.dumps(event))
    if event.get("print"):
        for n in range(event["print"]):
            print(f"line {n:04d} " + "x" * 60)
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("exit"):
        os._exit(event["exit"])
    names = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_REGION", "AWS_PROFILE", "AWS_EXECUTION_ENV", "GREETING")
    return {
        "event": event,
        "variables": {name: os.environ.get(name) for name in names},
        "python": "%d.%d" % sys.version_info[:2],
        "calls": len(CALLS),
        "remaining": context.get_remaining_time_in_millis(),
    }
"""
ANSWERING = """
import json, urllib.request

ATTEMPTS = []


def handler(event, context):
    ATTEMPTS.append(event["RequestId"])
    if len(ATTEMPTS) == 1:
        raise RuntimeError("the first attempt fails before it answers")
    answer = {
        "Status": "SUCCESS", "PhysicalResourceId": "thing-1", "StackId": event["StackId"],
        "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"Attempts": str(len(ATTEMPTS))},
    }
    request = urllib.request.Request(event["ResponseURL"], data=json.dumps(answer).encode(), method="PUT")
    urllib.request.urlopen(request, timeout=30).read()
"""

# What a hand-written handler does that sends its answer with https.request({hostname, path}): the
# URL's port is dropped, so the answer goes to port 443, where nothing listens; the error is logged.
ANSWERS_TO_PORT_443 = """
import json, urllib.parse, urllib.request


def handler(event, context):
    url = urllib.parse.urlsplit(event["ResponseURL"])
    answer = {
        "Status": "SUCCESS", "PhysicalResourceId": "thing-1", "StackId": event["StackId"],
        "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"],
    }
    target = f"https://{url.hostname}{url.path}?{url.query}"
    try:
        request = urllib.request.Request(target, data=json.dumps(answer).encode(), method="PUT")
        urllib.request.urlopen(request, timeout=5)
    except OSError as error:
        print("could not send the response:", type(error).__name__)
"""

NODE_FUNCTION = """
const calls = [];  // module state: what the warm environment keeps between invocations

exports.handler = async (event, context) => {
  calls.push(context.awsRequestId);
  console.log("event", JSON.stringify(event));
  if (event.throw) throw new TypeError(event.throw);
  if (event.hang) await new Promise(() => setInterval(() => {}, 1000));
  return { event, calls: calls.length, node: process.versions.node.split(".")[0], region: process.env.AWS_REGION };
};
"""


def function(name: str, code: dict[str, Any], runtime: str = "python3.13", **properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": name,
            "Runtime": runtime,
            "Handler": "index.handler",
            "Role": ROLE,
            "Code": code,
            **properties,
        },
    }


def custom(function_logical_id: str, resource_type: str = "Custom::Thing") -> dict[str, Any]:
    token = {"Fn::GetAtt": [function_logical_id, "Arn"]}
    return {"Type": resource_type, "Properties": {"ServiceToken": token, "ServiceTimeout": "3600"}}


# --- the local cloud, its stacks ---------------------------------------------------------------------


class Cloud:
    """The endpoint, its clients, and a stack deployed as the CDK CLI deploys one (a change set)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.cfn = endpoint.client("cloudformation", attempts=1)
        self.lambda_ = endpoint.client("lambda", attempts=1)
        self.logs = endpoint.client("logs")
        self.zip = b""

    def deploy(self, stack: str, resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> dict[str, Any]:
        created = self.cfn.create_change_set(
            StackName=stack,
            ChangeSetName="cdk-deploy-change-set",
            ChangeSetType="CREATE",
            TemplateBody=json.dumps({"Resources": resources, "Outputs": outputs or {}}),
        )
        wait_for(lambda: self.cfn.describe_change_set(ChangeSetName=created["Id"])["Status"] == "CREATE_COMPLETE")
        self.cfn.execute_change_set(ChangeSetName=created["Id"])
        settled: dict[str, Any] = {}

        def settle() -> bool:
            (settled["stack"],) = self.cfn.describe_stacks(StackName=created["StackId"])["Stacks"]
            status = settled["stack"]["StackStatus"]
            return bool(status.endswith(TERMINAL)) and "IN_PROGRESS" not in status

        wait_for(settle)
        return dict(settled["stack"])

    def events(self, stack: str) -> list[dict[str, Any]]:
        return list(self.cfn.describe_stack_events(StackName=stack)["StackEvents"])

    def log_lines(self, function_name: str) -> list[str]:
        group = f"/aws/lambda/{function_name}"
        if not self.logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
            return []
        pages = self.logs.get_paginator("filter_log_events").paginate(logGroupName=group)
        return [event["message"] for page in pages for event in page["events"]]


def wait_for(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    """Poll until `condition` holds; the timeout only guards against a hang."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.05)


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    with Endpoint(settings=Settings(lambda_retry_delay=0.1, unanswered_grace=0.5)) as endpoint:
        running = Cloud(endpoint)
        running.zip = zipped(FUNCTION)
        bucket, key = assets_bucket(endpoint.account, endpoint.region), f"{uuid.uuid4().hex}.zip"
        endpoint.client("s3").put_object(Bucket=bucket, Key=key, Body=running.zip)
        variables = {"Variables": {"GREETING": "hello"}}
        stack = running.deploy(
            "Functions",
            {
                "Echo": function("echo", {"ZipFile": FUNCTION}, Environment=variables),
                "FromS3": function("from-s3", {"S3Bucket": bucket, "S3Key": key}, MemorySize=256, Timeout=30),
                "Slow": function("slow", {"ZipFile": FUNCTION}, Timeout=1),
                "Older": function("older", {"ZipFile": FUNCTION}, runtime="python3.12"),
                "Node": function("node", {"ZipFile": NODE_FUNCTION}, runtime="nodejs22.x", Timeout=1),
                "Java": function("java", {"ZipFile": "class Handler {}"}, runtime="java21"),
            },
        )
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack
        yield running


def invoke(cloud: Cloud, name: str, event: Any, **options: Any) -> tuple[dict[str, Any], Any]:
    answer = cloud.lambda_.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **options)
    return answer, json.loads(answer["Payload"].read())


def error_of(call: Callable[..., Any], **kwargs: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


# --- Invoke ------------------------------------------------------------------------------------------


def test_a_request_response_invoke_answers_the_handlers_result(cloud):
    answer, result = invoke(cloud, "echo", {"n": 1})

    assert (answer["StatusCode"], answer["ExecutedVersion"]) == (200, "$LATEST")
    assert "FunctionError" not in answer and "LogResult" not in answer
    assert result["event"] == {"n": 1}
    # its own variables, the endpoint and test keys, nothing of this process's environment
    assert result["variables"] == {
        "AWS_ENDPOINT_URL": cloud.endpoint.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_REGION": "us-east-1",
        "AWS_PROFILE": None,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "GREETING": "hello",
    }
    assert 0 < result["remaining"] <= 3000  # the template's Timeout, 3 s by default


@pytest.mark.parametrize(
    "name",
    [
        "echo",
        "echo:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:echo",
        "arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST",
        "123456789012:function:echo",
    ],
)
def test_a_function_is_found_by_its_name_its_arn_or_a_partial_arn(cloud, name):
    answer, result = invoke(cloud, name, {"by": name})

    assert answer["StatusCode"] == 200 and result["event"] == {"by": name}


def test_the_warm_environment_serves_the_next_invocation(cloud):
    _, first = invoke(cloud, "from-s3", {})
    _, second = invoke(cloud, "from-s3", {})

    assert second["calls"] == first["calls"] + 1


def test_no_payload_is_an_empty_event(cloud):
    answer = cloud.lambda_.invoke(FunctionName="echo")

    assert json.loads(answer["Payload"].read())["event"] == {}


def test_a_dry_run_answers_204_and_runs_nothing(cloud):
    marker = uuid.uuid4().hex
    answer = cloud.lambda_.invoke(FunctionName="echo", InvocationType="DryRun", Payload=json.dumps({"m": marker}))

    assert answer["StatusCode"] == 204
    invoke(cloud, "echo", {})  # an invocation after it: its lines are in the log when it answers
    assert not [line for line in cloud.log_lines("echo") if marker in line]


def test_an_event_invocation_answers_202_and_a_failing_one_is_tried_three_times(cloud):
    marker = uuid.uuid4().hex

    answer = cloud.lambda_.invoke(FunctionName="echo", InvocationType="Event", Payload=json.dumps({"raise": marker}))

    assert answer["StatusCode"] == 202 and answer["Payload"].read() == b""

    def attempts() -> list[str]:
        return [line for line in cloud.log_lines("echo") if line.startswith("event ") and marker in line]

    # the first attempt and Lambda's two retries, each failing, each in the function's log
    wait_for(lambda: len(attempts()) == 3)
    errors = [line for line in cloud.log_lines("echo") if f"[ERROR] ValueError: {marker}" in line]
    assert len(errors) == 3


def test_log_type_tail_answers_the_last_4_kb_of_the_invocations_log(cloud):
    answer, result = invoke(cloud, "echo", {"print": 100}, LogType="Tail")

    log = base64.b64decode(answer["LogResult"])
    assert len(log) == 4096  # the invocation wrote more: only its end
    lines = log.decode().splitlines()
    assert lines[-2].startswith("END RequestId: ") and lines[-1].startswith("REPORT RequestId: ")
    assert "line 0099 " in log.decode() and "line 0000 " not in log.decode()
    assert result["event"] == {"print": 100}

    short, _ = invoke(cloud, "echo", {"n": 2}, LogType="Tail")
    whole = base64.b64decode(short["LogResult"]).decode()
    assert whole.startswith("START RequestId: ") and 'event {"n": 2}' in whole


def test_a_handler_error_answers_unhandled_with_the_runtimes_error(cloud):
    answer, error = invoke(cloud, "echo", {"raise": "not today"})

    assert (answer["StatusCode"], answer["FunctionError"], answer["ExecutedVersion"]) == (200, "Unhandled", "$LATEST")
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "not today")
    assert any('raise ValueError(event["raise"])' in frame for frame in error["stackTrace"])
    # a failed invocation's lines go to the function's log group too
    assert [line for line in cloud.log_lines("echo") if "[ERROR] ValueError: not today" in line]


def test_a_timeout_answers_unhandled_with_lambdas_timeout_error(cloud):
    answer, error = invoke(cloud, "slow", {"sleep": 60})

    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    assert error["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(r"RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds", error["errorMessage"])
    assert [line for line in cloud.log_lines("slow") if line.endswith("Task timed out after 1.00 seconds")]


def test_a_runtime_that_exits_answers_unhandled_with_lambdas_exit_error(cloud):
    answer, error = invoke(cloud, "from-s3", {"exit": 3})
    after, _ = invoke(cloud, "from-s3", {})  # a new environment takes the next one

    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    assert error["errorType"] == "Runtime.ExitError"
    assert re.fullmatch(
        r"RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3", error["errorMessage"]
    )
    assert "FunctionError" not in after


# --- bad input -----------------------------------------------------------------------------------------


def test_a_function_that_does_not_exist_is_not_found(cloud):
    arn = "arn:aws:lambda:us-east-1:123456789012:function"
    assert error_of(cloud.lambda_.invoke, FunctionName="nowhere") == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn}:nowhere",
    )
    # no versions or aliases here: only $LATEST exists
    assert (
        error_of(cloud.lambda_.get_function, FunctionName="echo", Qualifier="2")[2]
        == f"Function not found: {arn}:echo:2"
    )
    assert error_of(cloud.lambda_.get_function_configuration, FunctionName="nowhere")[:2] == (
        404,
        "ResourceNotFoundException",
    )


def test_a_payload_that_is_not_json_is_refused(cloud):
    status, code, message = error_of(cloud.lambda_.invoke, FunctionName="echo", Payload=b"not json")

    assert (status, code) == (400, "InvalidRequestContentException")
    assert message.startswith("Could not parse request body into json: Could not parse payload into json: ")
    assert "Unrecognized token 'not'" in message


def test_a_function_name_lambda_would_refuse_is_a_validation_error(cloud):
    status, code, message = error_of(cloud.lambda_.invoke, FunctionName="no spaces allowed")

    assert (status, code) == (400, "ValidationException")
    assert message.startswith("1 validation error detected: Value 'no spaces allowed' at 'functionName'")


# --- GetFunction, GetFunctionConfiguration, ListFunctions ------------------------------------------------


def test_get_function_tells_its_configuration_and_where_its_zip_is(cloud):
    answer = cloud.lambda_.get_function(FunctionName="from-s3")

    configuration = answer["Configuration"]
    assert {key: configuration[key] for key in ("FunctionName", "Runtime", "Handler", "Role", "Timeout")} == {
        "FunctionName": "from-s3",
        "Runtime": "python3.13",
        "Handler": "index.handler",
        "Role": ROLE,
        "Timeout": 30,
    }
    assert configuration["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:from-s3"
    assert (configuration["MemorySize"], configuration["State"], configuration["Version"]) == (256, "Active", "$LATEST")
    # the zip the function was deployed from: its SHA-256 and size, and a URL that downloads it
    assert configuration["CodeSha256"] == base64.b64encode(hashlib.sha256(cloud.zip).digest()).decode()
    assert configuration["CodeSize"] == len(cloud.zip)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", configuration["LastModified"])
    assert answer["Code"]["RepositoryType"] == "S3"
    with urllib.request.urlopen(answer["Code"]["Location"]) as download:
        assert download.read() == cloud.zip
    assert cloud.lambda_.get_function_configuration(FunctionName="from-s3") | {"ResponseMetadata": None} == (
        configuration | {"ResponseMetadata": None}
    )


def test_get_function_configuration_shows_its_own_variables_only(cloud):
    configuration = cloud.lambda_.get_function_configuration(
        FunctionName="arn:aws:lambda:us-east-1:123456789012:function:echo"
    )

    assert configuration["Environment"] == {"Variables": {"GREETING": "hello"}}
    assert configuration["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/echo"}
    assert configuration["CodeSize"] > 0 and configuration["CodeSha256"]


def test_list_functions_pages_with_marker_and_max_items(cloud):
    pages = []
    marker = None
    while True:
        page = cloud.lambda_.list_functions(MaxItems=2, **({"Marker": marker} if marker else {}))
        pages.append([f["FunctionName"] for f in page["Functions"]])
        marker = page.get("NextMarker")
        if not marker:
            break

    assert [len(names) for names in pages] == [2, 2, 2]
    assert [name for names in pages for name in names] == ["echo", "from-s3", "java", "node", "older", "slow"]
    paginated = cloud.lambda_.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 3})
    assert [f["FunctionName"] for page in paginated for f in page["Functions"]] == [
        "echo",
        "from-s3",
        "java",
        "node",
        "older",
        "slow",
    ]


# --- runtimes ----------------------------------------------------------------------------------------


def test_a_python312_function_runs_here_and_its_log_says_so_once(cloud):
    _, first = invoke(cloud, "older", {})
    _, second = invoke(cloud, "older", {})

    assert first["python"] == second["python"] == "3.13"
    assert first["variables"]["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"  # what Lambda would set
    notes = [line for line in cloud.log_lines("older") if line.startswith("localcloud: ")]
    assert notes == ["localcloud: this function's runtime python3.12 runs on Python 3.13 here"]
    assert cloud.lambda_.get_function_configuration(FunctionName="older")["Runtime"] == "python3.12"


def test_a_nodejs_function_runs_on_node_24_warm_and_its_log_says_so_once(cloud):
    _, first = invoke(cloud, "node", {"n": 1})
    _, second = invoke(cloud, "node", {"n": 2})

    assert (first["event"], first["calls"], first["node"], first["region"]) == ({"n": 1}, 1, "24", "us-east-1")
    assert second["calls"] == 2  # the same warm environment
    lines = cloud.log_lines("node")
    assert [line for line in lines if line.startswith("localcloud: ")] == [
        "localcloud: this function's runtime nodejs22.x runs on Node.js 24 here"
    ]
    assert any(re.fullmatch(r"\S+Z\t[0-9a-f-]{36}\tINFO\tevent \{\"n\":1\}", line) for line in lines), lines


def test_a_nodejs_handlers_error_answers_unhandled_with_nodes_error(cloud):
    answer, error = invoke(cloud, "node", {"throw": "not a click"})

    assert answer["FunctionError"] == "Unhandled"
    assert (error["errorType"], error["errorMessage"]) == ("TypeError", "not a click")
    assert isinstance(error["trace"], list) and error["trace"][0].startswith("TypeError: not a click")


def test_a_nodejs_handler_that_never_answers_times_out(cloud):
    answer, error = invoke(cloud, "node", {"hang": True})

    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]


def test_a_java_function_deploys_and_its_invoke_fails_naming_its_runtime(cloud):
    assert cloud.lambda_.get_function(FunctionName="java")["Configuration"]["Runtime"] == "java21"

    status, code, message = error_of(cloud.lambda_.invoke, FunctionName="java", Payload=b"{}")

    assert (status, code) == (502, "InvalidRuntimeException")
    assert message.startswith("The runtime or runtime version specified is not supported")
    assert "java21" in message


# --- custom resources whose function cannot answer ---------------------------------------------------------


def test_a_custom_resource_of_a_java_function_fails_the_stack_at_once(cloud):
    # GIVEN a custom resource whose provider is a function of a runtime the local cloud does not run
    resources = {
        "Provider": function("java-provider", {"ZipFile": "class Handler {}"}, runtime="java21"),
        "Thing": custom("Provider", "Custom::JavaThing"),
    }

    # WHEN it deploys (waited for far less than its ServiceTimeout of an hour)
    stack = cloud.deploy("JavaProvider", resources)

    # THEN it failed before any invocation, naming the runtime, and the stack rolled back
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    (failed,) = [e for e in cloud.events("JavaProvider") if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed["LogicalResourceId"] == "Thing"
    assert "runtime is java21" in failed["ResourceStatusReason"]
    assert not [i for i in cloud.endpoint.cloudformation.engine.invocations if i.logical_id == "Thing"]


def test_a_custom_resource_whose_function_fails_init_fails_with_the_init_error(cloud):
    code = {"ZipFile": "raise RuntimeError('the provider cannot start')\n\ndef handler(event, context):\n    pass\n"}
    resources = {"Provider": function("broken-init", code), "Thing": custom("Provider")}

    stack = cloud.deploy("BrokenInit", resources)

    (failed,) = [e for e in cloud.events("BrokenInit") if e["ResourceStatus"] == "CREATE_FAILED"]
    reason = failed["ResourceStatusReason"]
    assert "failed 3 attempts without answering (RuntimeError: the provider cannot start)" in reason
    assert reason.startswith("CloudFormation did not receive a response from your Custom Resource")
    # each attempt's Init error is in the function's log; the rollback's Delete could not be answered either
    assert len([line for line in cloud.log_lines("broken-init") if "the provider cannot start" in line]) >= 3
    assert stack["StackStatus"] == "ROLLBACK_FAILED"


def test_an_answer_from_a_retry_is_taken(cloud):
    # GIVEN a function whose first attempt fails before answering, and whose retry answers
    resources = {"Provider": function("answers-late", {"ZipFile": ANSWERING}), "Late": custom("Provider")}

    stack = cloud.deploy("AnswersLate", resources, {"Attempts": {"Value": {"Fn::GetAtt": ["Late", "Attempts"]}}})

    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"] == [{"OutputKey": "Attempts", "OutputValue": "2"}]
    cloud.endpoint.cloudformation.engine.wait_for_invocations()  # the retry ends after it answered
    (invocation,) = [i for i in cloud.endpoint.cloudformation.engine.invocations if i.logical_id == "Late"]
    assert [attempt.status for attempt in invocation.attempts] == ["error", "success"]


def test_a_custom_resource_whose_answer_cannot_arrive_fails_saying_so_instead_of_waiting_an_hour(cloud):
    # GIVEN a function that sends its answer to port 443 instead of the ResponseURL's port, and ends well
    provider = function("answers-elsewhere", {"ZipFile": ANSWERS_TO_PORT_443})
    resources = {"Provider": provider, "Lost": custom("Provider")}

    # WHEN it deploys (its ServiceTimeout is an hour)
    stack = cloud.deploy("AnswersElsewhere", resources)

    # THEN the resource failed once the function had ended unanswered, saying where the answer must go
    (failed,) = [e for e in cloud.events("AnswersElsewhere") if e["ResourceStatus"] == "CREATE_FAILED"]
    reason = failed["ResourceStatusReason"]
    assert reason.startswith("CloudFormation did not receive a response from your Custom Resource")
    assert "ended 0.5 s ago without a response reaching the ResponseURL" in reason
    assert "its scheme, host and port included" in reason
    assert any("could not send the response: URLError" in line for line in cloud.log_lines("answers-elsewhere"))
    # and the rollback's Delete, answered the same way, could not be answered either (as in CloudFormation)
    assert (stack["StackStatus"], stack["StackStatusReason"]) == (
        "ROLLBACK_FAILED",
        "The following resource(s) failed to delete: [Lost]. ",
    )


# --- reading a FunctionName -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "parts"),
    [
        ("fn", FunctionName("fn", "", "", "")),
        ("fn:live", FunctionName("fn", "live", "", "")),
        ("123456789012:function:fn", FunctionName("fn", "", "", "123456789012")),
        (
            "arn:aws:lambda:eu-west-1:123456789012:function:fn:$LATEST",
            FunctionName("fn", "$LATEST", "eu-west-1", "123456789012"),
        ),
        ("arn:aws:sns:us-east-1:123456789012:topic", None),
        ("two words", None),
    ],
)
def test_a_function_name_is_read_as_lambda_reads_it(given, parts):
    assert function_name_parts(given) == parts
