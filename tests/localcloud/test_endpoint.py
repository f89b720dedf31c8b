"""The one endpoint, through boto3 over real HTTP: routing, moto's services, Personalize, errors, restarts."""

import base64
import datetime
import gc
import hashlib
import json
import logging
import re
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.endpoint import BOOTSTRAP_VERSION, Endpoint, assets_bucket, version_parameter
from localcloud.personalize import Delays

BUCKET = assets_bucket("123456789012", "us-east-1")
TEMPLATE = Path(__file__).parents[2] / "node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml"


@pytest.fixture
def endpoint(tmp_path):
    with Endpoint(state_dir=tmp_path / "state", delays=Delays()) as running:
        yield running


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def sha256_b64(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.02)


# --- moto's services ---------------------------------------------------------------------------


def test_s3_as_the_cdk_cli_uses_it(endpoint):
    s3 = endpoint.client("s3")
    body = b'{"Resources": {}}'
    s3.put_object(Bucket=BUCKET, Key="abc.json", Body=body, ChecksumSHA256=sha256_b64(body))
    listed = s3.list_objects_v2(Bucket=BUCKET, MaxKeys=1, Prefix="abc.json")
    assert [o["Key"] for o in listed["Contents"]] == ["abc.json"]
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] is None  # us-east-1
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_object(Bucket=BUCKET, Key="abc.json")["Body"].read() == body


def test_s3_requests_are_path_style_on_the_ip_endpoint(endpoint):
    s3 = endpoint.client("s3")
    seen = []
    s3.meta.events.register("before-send.s3.*", lambda request, **_: seen.append(request.url))
    s3.head_bucket(Bucket=BUCKET)
    assert seen == [f"{endpoint.url}/{BUCKET}"]


def test_sts_identity_and_assumed_role_credentials_work_elsewhere(endpoint):
    sts = endpoint.client("sts")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    role = "arn:aws:iam::123456789012:role/cdk-hnb659fds-deploy-role-123456789012-us-east-1"
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="aws-cdk-root")["Credentials"]
    # what the CLI does next: the bootstrap version, with the role's session credentials
    ssm = boto3.client(
        "ssm",
        region_name="us-east-1",
        endpoint_url=endpoint.url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    assert ssm.get_parameter(Name=version_parameter(), WithDecryption=True)["Parameter"]["Value"] == BOOTSTRAP_VERSION


def test_ssm_iam_logs_and_ecr(endpoint):
    ssm = endpoint.client("ssm")
    ssm.put_parameter(Name="/app/greeting", Value="hello", Type="String")
    assert ssm.get_parameter(Name="/app/greeting")["Parameter"]["Value"] == "hello"

    iam = endpoint.client("iam")
    role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}))
    assert role["Role"]["Arn"] == "arn:aws:iam::123456789012:role/fn-role"

    logs = endpoint.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/fn")
    logs.create_log_stream(logGroupName="/aws/lambda/fn", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/aws/lambda/fn", logStreamName="s", logEvents=[{"timestamp": now, "message": "started"}]
    )
    events = logs.filter_log_events(logGroupName="/aws/lambda/fn")["events"]
    assert [e["message"] for e in events] == ["started"]

    ecr = endpoint.client("ecr")
    repository = ecr.create_repository(repositoryName="cdk-assets")["repository"]
    assert repository["repositoryArn"] == "arn:aws:ecr:us-east-1:123456789012:repository/cdk-assets"


@pytest.mark.parametrize(("version", "credential"), [("s3v4", "X-Amz-Credential="), ("s3", "AWSAccessKeyId=")])
def test_a_presigned_url_is_routed_by_its_query(endpoint, version, credential):
    s3 = endpoint.client("s3", config=Config(signature_version=version))
    s3.put_object(Bucket=BUCKET, Key="shared.txt", Body=b"shared")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "shared.txt"}, ExpiresIn=600)
    assert credential in url
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"shared"


def test_aws_endpoint_url_alone_is_enough_for_boto3(endpoint, monkeypatch, tmp_path):
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name, value in endpoint.environment().items():
        monkeypatch.setenv(name, value)
    session = boto3.Session()
    assert session.client("sts").get_caller_identity()["Account"] == "123456789012"
    assert BUCKET in [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]]
    assert session.client("personalize").list_dataset_groups()["datasetGroups"] == []


# --- Personalize and the admin API ---------------------------------------------------------------


def test_personalize_control_plane_and_put_events_share_the_endpoint(endpoint):
    personalize = endpoint.client("personalize")
    group = personalize.create_dataset_group(name="shop")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE")
    tracker = personalize.create_event_tracker(name="clicks", datasetGroupArn=group)
    arn = tracker["eventTrackerArn"]
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]["status"] == "ACTIVE")

    endpoint.client("personalize-events").put_events(
        trackingId=tracker["trackingId"],
        sessionId="s-1",
        eventList=[{"eventType": "click", "sentAt": datetime.datetime.now(datetime.timezone.utc)}],
    )
    assert [e["eventTrackerArn"] for e in endpoint.personalize.events] == [arn]


def test_personalize_errors_keep_their_shape(endpoint):
    personalize = endpoint.client("personalize", attempts=1)
    status, code, _ = error_of(personalize.describe_event_tracker, eventTrackerArn="arn:aws:personalize:x")
    assert (status, code) == (400, "InvalidInputException")


def test_the_admin_api_answers_on_the_endpoint(endpoint):
    endpoint.client("personalize").create_dataset_group(name="shop")
    with urllib.request.urlopen(f"{endpoint.url}/_localcloud/state") as response:
        state = json.loads(response.read())
    assert [g["name"] for g in state["datasetGroups"]] == ["shop"]
    request = urllib.request.Request(
        f"{endpoint.url}/_localcloud/faults",
        data=json.dumps({"throttle": {"ListDatasetGroups": ["ThrottlingException"]}}).encode(),
        method="POST",
    )
    urllib.request.urlopen(request).close()
    assert error_of(endpoint.client("personalize", attempts=1).list_dataset_groups)[1] == "ThrottlingException"


# --- CloudFormation and Lambda ------------------------------------------------------------------------


def test_cloudformation_gets_the_decoded_form_and_answers_as_xml(endpoint):
    cloudformation = endpoint.client("cloudformation", attempts=1)
    # no stack yet: the CLI's "not deployed" answer
    status, code, message = error_of(cloudformation.describe_stacks, StackName="CDKToolkit")
    assert (status, code, message) == (400, "ValidationError", "Stack with id CDKToolkit does not exist")
    # empty member lists as the CLI sends them (`Parameters=`, `Tags=`) are read as empty lists
    resources = {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}}
    body = (
        "Action=CreateChangeSet&Version=2010-05-15&StackName=S&ChangeSetName=c&ChangeSetType=CREATE"
        f"&Parameters=&Tags=&TemplateBody={quote(json.dumps({'Resources': resources}))}"
    )
    raw = endpoint.client("cloudformation", attempts=1)
    raw.meta.events.register("before-sign.cloudformation.CreateChangeSet", _replace_body(body))
    raw.create_change_set(StackName="ignored", ChangeSetName="ignored", TemplateBody="{}")
    change_set = cloudformation.describe_change_set(StackName="S", ChangeSetName="c")
    assert change_set["Status"] == "CREATE_COMPLETE"
    assert change_set.get("Parameters", []) == [] and change_set.get("Tags", []) == []


def _replace_body(body):
    def replace(request, **_):
        request.data = body.encode()

    return replace


def test_a_cloudformation_action_the_local_cloud_lacks_is_refused_naming_it(endpoint):
    cloudformation = endpoint.client("cloudformation", attempts=1)
    status, code, message = error_of(cloudformation.detect_stack_drift, StackName="S")
    assert code == "InvalidAction" and "DetectStackDrift" in message
    assert status in (400, 501)


def test_a_lambda_operation_the_local_cloud_lacks_answers_rest_json_errors_naming_it(endpoint, caplog):
    # functions come from stacks: Lambda's API runs and describes them, and makes none of its own
    with caplog.at_level(logging.WARNING, logger="localcloud.endpoint"):
        status, code, message = error_of(
            endpoint.client("lambda", attempts=1).create_function,
            FunctionName="fn",
            Role="arn:aws:iam::123456789012:role/r",
            Code={"ZipFile": b"zip"},
        )
    assert (status, code) == (501, "UnknownOperationException")
    assert message == "lambda CreateFunction is not emulated by the local cloud"
    assert "unsupported: lambda CreateFunction, answered 501" in caplog.text


# --- what the local cloud lacks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation", "code"),
    [
        ("apprunner", "list_services", "UnknownOperationException"),  # JSON 1.0, a service moto lacks
        ("cloudsearch", "describe_domains", "InvalidAction"),  # query, a service moto lacks
        ("route53", "list_cidr_collections", "NotImplemented"),  # REST-XML, an operation moto has no route for
        ("ec2", "list_images_in_recycle_bin", "InvalidAction"),  # EC2's own query dialect
        ("ssm", "get_ops_summary", "UnknownOperationException"),  # a service moto has, an operation it lacks
    ],
)
def test_unknown_services_and_operations_answer_in_their_own_shape(endpoint, caplog, service, operation, code):
    with caplog.at_level(logging.WARNING, logger="localcloud.endpoint"):
        status, got, message = error_of(getattr(endpoint.client(service, attempts=1), operation))
    name = "".join(part.title() for part in operation.split("_"))
    assert (status, got) == (501, code)
    assert message == f"{service} {name} is not emulated by the local cloud"
    assert re.search(rf"unsupported: {service} {name} .*answered 501", caplog.text)


def test_an_unsigned_request_is_refused_in_the_shape_it_asked_in(endpoint):
    query = urllib.request.Request(
        endpoint.url,
        data=b"Action=DescribeStacks&Version=2010-05-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(query)
    assert raised.value.code == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in raised.value.read()

    json_1_1 = urllib.request.Request(
        endpoint.url, data=b"{}", headers={"X-Amz-Target": "AmazonSSM.GetParameter"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(json_1_1)
    assert raised.value.code == 403
    assert json.loads(raised.value.read())["__type"] == "MissingAuthenticationTokenException"


def test_logs_name_no_secret(endpoint, caplog):
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    lambda_client = boto3.client(
        "lambda",
        region_name="us-east-1",
        endpoint_url=endpoint.url,
        aws_access_key_id="AKIASECRETKEYID00000",
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}),
    )
    with caplog.at_level(logging.DEBUG, logger="localcloud.endpoint"):
        error_of(lambda_client.invoke, FunctionName="fn", Payload=b'{"password": "hunter2"}')
        presigned = f"{endpoint.url}/_nowhere?X-Amz-Signature=deadbeefsignature&X-Amz-Credential=AKIASECRET%2Fx"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(presigned)
    assert "lambda Invoke: 404" in caplog.text  # the call was seen, and none of what it carried
    for leaked in ("AKIASECRETKEYID00000", "hunter2", "deadbeefsignature", "AKIASECRET", "Signature="):
        assert leaked not in caplog.text


# --- the state across a restart, and the pre-bootstrap -------------------------------------------


def test_the_state_survives_a_restart(tmp_path):
    state = tmp_path / "state"
    key = "assets/a file+with ünïcode.json"
    with Endpoint(state_dir=state) as first:
        s3 = first.client("s3")
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"v1", ChecksumSHA256=sha256_b64(b"v1"))
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"v2", ChecksumSHA256=sha256_b64(b"v2"))
        s3.create_bucket(Bucket="other")
        s3.put_object(Bucket="other", Key="gone", Body=b"x")
        s3.delete_object(Bucket="other", Key="gone")
        upload = s3.create_multipart_upload(Bucket="other", Key="big.zip")["UploadId"]
        part = s3.upload_part(Bucket="other", Key="big.zip", UploadId=upload, PartNumber=1, Body=b"zip" * 100)
        s3.complete_multipart_upload(
            Bucket="other",
            Key="big.zip",
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )
        first.client("ssm").put_parameter(Name="/app/greeting", Value="hello", Type="String")
        first.client("iam").create_role(RoleName="fn-role", AssumeRolePolicyDocument="{}")
        first.client("logs").create_log_group(logGroupName="/aws/lambda/fn")
        first.client("ecr").create_repository(repositoryName="cdk-assets")
        first.client("personalize").create_dataset_group(name="shop")

    with Endpoint(state_dir=state) as second:
        s3 = second.client("s3")
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"v2"
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="other").get("Contents", [])] == ["big.zip"]
        assert s3.get_object(Bucket="other", Key="big.zip")["Body"].read() == b"zip" * 100
        assert second.client("ssm").get_parameter(Name="/app/greeting")["Parameter"]["Value"] == "hello"
        assert second.client("iam").get_role(RoleName="fn-role")["Role"]["RoleName"] == "fn-role"
        groups = second.client("logs").describe_log_groups()["logGroups"]
        assert [g["logGroupName"] for g in groups] == ["/aws/lambda/fn"]
        repositories = second.client("ecr").describe_repositories()["repositories"]
        assert [r["repositoryName"] for r in repositories] == ["cdk-assets"]
        assert [g["name"] for g in second.client("personalize").list_dataset_groups()["datasetGroups"]] == ["shop"]
        assert second.created_at_start == []  # the pre-bootstrap came back with the rest


def test_the_journal_keeps_no_signature(tmp_path):
    with Endpoint(state_dir=tmp_path) as endpoint:
        endpoint.client("ssm").put_parameter(Name="/p", Value="v", Type="String")
        url = endpoint.client("s3", config=Config(signature_version="s3v4")).generate_presigned_url(
            "put_object", Params={"Bucket": BUCKET, "Key": "k"}, ExpiresIn=600
        )
        # (urllib's default form Content-Type would make moto store an empty object, as moto's own server does)
        put = urllib.request.Request(url, data=b"body", method="PUT", headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(put).close()
    journal = (tmp_path / "aws" / "journal.jsonl").read_text()
    assert '"Name"' not in journal  # the body is a blob, named by its digest
    assert "Signature" not in journal and "Credential" not in journal and "authorization" not in journal.lower()
    # and the pre-signed PUT, replayed without its expired signature, still makes the object
    with Endpoint(state_dir=tmp_path) as endpoint:
        assert endpoint.client("s3").get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"body"


def test_without_a_state_dir_nothing_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the process's temporary files go
    with Endpoint() as endpoint:
        endpoint.client("ssm").put_parameter(Name="/p", Value="v", Type="String")
        assert list(tmp_path.glob("localcloud-code-*"))  # its stacks' functions' code would go there
    with Endpoint() as endpoint:
        assert error_of(endpoint.client("ssm").get_parameter, Name="/p")[1] == "ParameterNotFound"
    # and nothing is left on disk once the endpoints are gone
    del endpoint
    gc.collect()
    assert list(tmp_path.iterdir()) == []


def test_it_starts_bootstrapped_and_says_so(endpoint):
    assert endpoint.created_at_start == [f"s3://{BUCKET}", f"ssm:{version_parameter()}"]
    parameter = endpoint.client("ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]
    assert (parameter["Type"], parameter["Value"]) == ("String", BOOTSTRAP_VERSION)
    assert BUCKET in [b["Name"] for b in endpoint.client("s3").list_buckets()["Buckets"]]
    assert any("starts bootstrapped for qualifier hnb659fds" in line for line in endpoint.banner())


def test_cdk_bootstrap_can_create_the_bucket_again(endpoint):
    s3 = endpoint.client("s3")
    s3.create_bucket(Bucket=BUCKET)  # us-east-1: the owner's second CreateBucket succeeds, as on AWS
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"


@pytest.mark.skipif(not TEMPLATE.exists(), reason="the CDK CLI is not installed (npm ci)")
def test_the_bootstrap_version_is_the_pinned_clis():
    template = TEMPLATE.read_text()
    written = re.search(r"CdkBootstrapVersion:.*?Value: '(\d+)'", template, re.DOTALL)
    assert written is not None and written.group(1) == BOOTSTRAP_VERSION


def test_one_endpoint_per_process(endpoint):
    with pytest.raises(RuntimeError, match="already running"):
        Endpoint().start()


def test_each_request_is_logged_by_operation_at_debug_level(endpoint, caplog):
    s3 = endpoint.client("s3")
    with caplog.at_level(logging.DEBUG, logger="localcloud.endpoint"):
        s3.put_object(Bucket=BUCKET, Key="a/b", Body=b"x")
        s3.copy_object(Bucket=BUCKET, Key="c", CopySource={"Bucket": BUCKET, "Key": "a/b"})
        s3.delete_object(Bucket=BUCKET, Key="c")
        endpoint.client("ssm").get_parameter(Name=version_parameter())
    lines = [r.getMessage() for r in caplog.records if r.name == "localcloud.endpoint"]
    assert lines == ["s3 PutObject: 200", "s3 CopyObject: 200", "s3 DeleteObject: 204", "ssm GetParameter: 200"]


def test_a_damaged_journal_line_is_skipped_not_fatal(tmp_path, caplog):
    with Endpoint(state_dir=tmp_path) as endpoint:
        endpoint.client("ssm").put_parameter(Name="/kept", Value="v", Type="String")
        endpoint.client("s3").put_object(Bucket=BUCKET, Key="lost", Body=b"its blob goes")
    journal = tmp_path / "aws" / "journal.jsonl"
    lost = json.loads(journal.read_text().splitlines()[-1])["body"]
    (tmp_path / "aws" / "blobs" / lost).unlink()
    with journal.open("a") as damaged:
        damaged.write("not json\n")
    with caplog.at_level(logging.WARNING, logger="localcloud.endpoint"), Endpoint(state_dir=tmp_path) as endpoint:
        assert endpoint.client("ssm").get_parameter(Name="/kept")["Parameter"]["Value"] == "v"
        assert error_of(endpoint.client("s3").head_object, Bucket=BUCKET, Key="lost")[0] == 404
    assert "is missing: skipped" in caplog.text and "is not one of moto's writes: skipped" in caplog.text
