"""The local cloud's commands, as `make demo`, `make deploy-local` and `make destroy-local` run them."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from localcloud import background
from localcloud.local_env import local_client as client

REPOSITORY = Path(__file__).resolve().parents[2]


def localcloud(*args, cwd):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "localcloud", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_demo_runs_the_cdk_cli_on_a_local_cloud_of_its_own(tmp_path):
    result = localcloud("demo", cwd=REPOSITORY)

    assert result.returncode == 0, result.stdout + result.stderr
    out, cli = result.stdout, result.stdout + result.stderr
    # the CLI's own display (much of it on stderr): bootstrap, the deploy's progress, the destroy
    assert "Environment aws://123456789012/us-east-1 bootstrapped" in cli
    assert re.search(r"CREATE_COMPLETE\s+\| Custom::PersonalizeEventTracker", cli), cli
    assert re.search(r"CREATE_COMPLETE\s+\| AWS::Personalize::Dataset", cli), cli
    assert "PersonalizeEventTrackerDemo: destroyed" in cli
    # the demo's own lines: the outputs from the outputs file, the trackingId masked
    (shown,) = re.findall(r"^  TrackingId = (\S+)", out, re.MULTILINE)
    assert re.fullmatch(r"[0-9a-f]{4}\*{32}", shown), shown
    (function,) = re.findall(r"^  IngestFunctionName = (\S+)", out, re.MULTILINE)
    (bucket,) = re.findall(r"^  ExportBucketName = (\S+)", out, re.MULTILINE)
    # the events, through the ingest function, then exported back from the dataset to the bucket
    assert f"Invoked {function} with 4 events: it sent 4 with PutEvents" in out
    assert re.search(rf"its CSV files in s3://{bucket}/exports/demo-export-[0-9a-f]{{8}}/ hold:", out), out
    exported = re.findall(r"^  \d\d:\d\d:\d\d  (\S+)  (\S+)  (\S+)$", out, re.MULTILINE)
    assert exported == [
        ("demo-user", "item-42", "click"),
        ("demo-user", "item-7", "click"),
        ("demo-user", "item-42", "click"),
        ("demo-user", "item-42", "purchase"),
    ]
    assert "All 4 events sent are in the export." in out
    assert "`cdk destroy` empties it (auto_delete_objects, a Node.js function) and deletes it." in out
    # nothing left
    assert (
        "After destroy: 0 stacks, 0 dataset groups, 0 datasets, 0 schemas, 0 event trackers, 0 buckets, "
        "0 IAM roles, 0 log groups left"
    ) in out
    # the auto-delete function names no log group: Lambda made one, which outlives it
    assert "Lambda's own log groups, which outlive their functions as in AWS: 1" in out
    assert re.search(
        r"Timings: bootstrap \d+\.\d s, deploy \d+\.\d s, events \d+\.\d s, export \d+\.\d s, destroy", out
    )
    assert "[WARNING]" not in cli and "deprecated" not in cli
    # the CLI shows the deploy's outputs as they are; from the outputs file on, nothing shows the trackingId
    (tracking_id,) = re.findall(r"PersonalizeEventTrackerDemo\.TrackingId = (\S+)", cli)
    assert tracking_id not in out.split("Outputs, from the --outputs-file:", 1)[1]


def test_a_background_local_cloud_keeps_its_state_across_a_restart(tmp_path):
    state = tmp_path / "state"
    assert "no local cloud runs" in localcloud("cdk", "--state-dir", state, "ls", cwd=REPOSITORY).stderr

    up = localcloud("up", "--state-dir", state, "--port", "0", cwd=REPOSITORY)
    assert up.returncode == 0, up.stdout + up.stderr
    url = background.require(state).url
    personalize, ssm, s3 = (client(service, url) for service in ("personalize", "ssm", "s3"))
    group = personalize.create_dataset_group(name="kept")["datasetGroupArn"]
    ssm.put_parameter(Name="/kept/parameter", Value="v1", Type="String")
    s3.create_bucket(Bucket="kept-bucket")
    s3.put_object(Bucket="kept-bucket", Key="a/b.txt", Body=b"kept")
    exports = localcloud("env", "--state-dir", state, cwd=REPOSITORY).stdout
    assert f"export AWS_ENDPOINT_URL={url}" in exports and "export AWS_ACCESS_KEY_ID=test" in exports
    assert "Local cloud stopped." in localcloud("down", "--state-dir", state, cwd=REPOSITORY).stdout
    assert background.running(state) is None

    assert localcloud("up", "--state-dir", state, "--port", "0", cwd=REPOSITORY).returncode == 0
    try:
        url = background.require(state).url
        assert (
            client("personalize", url).describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["name"] == "kept"
        )
        assert client("ssm", url).get_parameter(Name="/kept/parameter")["Parameter"]["Value"] == "v1"
        assert client("s3", url).get_object(Bucket="kept-bucket", Key="a/b.txt")["Body"].read() == b"kept"
    finally:
        localcloud("down", "--state-dir", state, cwd=REPOSITORY)


def test_the_commands_that_talk_to_a_running_local_cloud_do_not_load_one(tmp_path):
    # `down`, `env`, `outputs`, `cdk` and `up` only reach a local cloud: its services stay unimported
    probe = (
        "import sys; from localcloud.cli import main; main(['down', '--state-dir', sys.argv[1]]); "
        "print(sorted(name for name in ('moto', 'localcloud.endpoint', 'localcloud.demo') if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], cwd=REPOSITORY, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.splitlines() == ["No local cloud was running.", "[]"], result.stdout + result.stderr


def test_serve_runs_the_endpoint_with_faults(tmp_path):
    import socket

    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    faults = json.dumps({"throttle": {"ListDatasetGroups": ["ThrottlingException"]}})
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localcloud",
            "serve",
            "--port",
            str(port),
            "--state-dir",
            str(tmp_path),
            "--faults",
            faults,
        ],
        cwd=REPOSITORY,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert f"Local cloud on http://127.0.0.1:{port}" in server.stdout.readline()
        client = boto3.client(
            "personalize",
            region_name="us-east-1",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="t",
            aws_secret_access_key="t",
            config=Config(retries={"total_max_attempts": 1}),
        )
        with pytest.raises(ClientError) as raised:
            client.list_dataset_groups()
        assert raised.value.response["Error"]["Code"] == "ThrottlingException"
        assert client.list_dataset_groups()["datasetGroups"] == []
    finally:
        server.terminate()
        # a guard against a hang only: on busy cores a stop can take longer than ten seconds
        server.wait(timeout=background.STOP_GUARD_SECONDS)
