"""The local cloud's commands, as `make demo`, `make deploy-local` and `make destroy-local` run them."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_the_demo_deploys_sends_an_event_and_destroys(example_assembly, tmp_path):
    result = localcloud("demo", example_assembly, "--delays", "fast", cwd=REPOSITORY)

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"CREATE_COMPLETE\s+Custom::PersonalizeEventTracker", out)
    assert re.search(r"Event tracker clickstream \(arn:aws:personalize:[^)]+\): ACTIVE", out)
    (shown,) = re.findall(r"TrackingId = (\S+)", out)
    assert re.fullmatch(r"[0-9a-f]{4}\*{32}", shown), shown  # masked
    assert "PutEvents accepted: the tracker has recorded 1 event(s)" in out
    assert re.search(r"DELETE_COMPLETE\s+AWS::CloudFormation::Stack", out)
    assert "After destroy: 0 dataset groups, 0 event trackers left" in out
    assert re.search(r"Timings: deploy \d+\.\d s, destroy \d+\.\d s", out)


def test_deploy_outputs_and_destroy_as_separate_commands(example_assembly, tmp_path):
    state = tmp_path / "state"
    deployed = localcloud("deploy", example_assembly, "--state-dir", state, "--delays", "fast", cwd=REPOSITORY)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    saved = json.loads((state / "personalize.json").read_text())
    (tracker,) = saved["trackers"].values()

    shown = localcloud("outputs", "--state-dir", state, "--show-secrets", cwd=REPOSITORY)
    assert f"TrackingId = {tracker['trackingId']}" in shown.stdout

    destroyed = localcloud("destroy", "--state-dir", state, "--delays", "fast", cwd=REPOSITORY)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert "After destroy: 0 dataset groups, 0 event trackers left" in destroyed.stdout
    assert json.loads((state / "stacks.json").read_text()) == {}
    assert tracker["trackingId"] not in destroyed.stdout + deployed.stdout


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
        server.wait(timeout=10)
