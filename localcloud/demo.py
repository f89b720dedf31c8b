"""The demo: what a user does with the example app, with the real CDK CLI, on a local cloud of its own.

1. start a local cloud (a private state directory, any free port);
2. `cdk bootstrap`, then `cdk deploy --strict --require-approval never --outputs-file ...` (a
   warning from the library would fail it): the CLI's own progress display is what the user watches;
3. the outputs read from the outputs file, the trackingId shown masked (and never printed);
4. a batch of events sent through the app's ingest function (Lambda Invoke, with boto3), which
   sends them to the tracker with PutEvents;
5. a dataset export job of the Interactions dataset to the app's bucket, waited for, and its CSV
   files read back from S3: every event sent must be there;
6. `cdk destroy --force` (the bucket emptied by its auto-delete custom resource, a Node.js
   function), then what is left, counted through the AWS APIs;
7. the local cloud stopped.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from . import background
from .cdk_cli import REPOSITORY, run_cdk
from .local_env import ACCOUNT, REGION, local_client

SECRET_OUTPUT_MARKER = "TrackingId"
# Where the app lets dataset export jobs write (app.py's EXPORT_PREFIX).
EXPORT_PREFIX = "exports/"
# How long the demo waits for the export job before it calls it a hang: a guard, never a measure.
EXPORT_GUARD_SECONDS = 120.0
# An event as the export shows it: user, item, event type, time (epoch seconds).
Event = tuple[str, str, str, int]


class DemoFailed(RuntimeError):
    pass


def mask(name: str, value: str, show_secrets: bool = False) -> str:
    """A trackingId lets anyone send events: shown only on request."""
    if SECRET_OUTPUT_MARKER not in name or show_secrets:
        return value
    return f"{value[:4]}{'*' * max(0, len(value) - 4)}  (hidden; --show-secrets shows it)"


def demo_events(now: datetime.datetime) -> dict[str, Any]:
    """The ingest function's payload: one user's session, a few clicks and a purchase."""
    start = int(now.timestamp()) - 60
    clicks = [("click", "item-42"), ("click", "item-7"), ("click", "item-42"), ("purchase", "item-42")]
    return {
        "userId": "demo-user",
        "sessionId": f"demo-session-{uuid.uuid4().hex[:8]}",
        "events": [
            {"eventType": event_type, "itemId": item, "sentAt": start + 10 * index}
            for index, (event_type, item) in enumerate(clicks)
        ],
    }


def events_of(payload: dict[str, Any]) -> set[Event]:
    return {(payload["userId"], e["itemId"], e["eventType"], int(e["sentAt"])) for e in payload["events"]}


def send_events_through_the_ingest_function(endpoint_url: str, function_name: str, payload: dict[str, Any]) -> int:
    """Invoke the app's ingest function with a batch of events; the number it sent."""
    try:
        response = local_client("lambda", endpoint_url).invoke(
            FunctionName=function_name, Payload=json.dumps(payload).encode()
        )
    except ClientError as error:
        raise DemoFailed(f"Invoke of the ingest function {function_name} failed: {error}") from None
    answer = response["Payload"].read().decode()
    if "FunctionError" in response:
        raise DemoFailed(f"the ingest function {function_name} failed ({response['FunctionError']}): {answer}")
    return int(json.loads(answer)["sent"])


def export_interactions(endpoint_url: str, dataset_arn: str, bucket: str, role_arn: str) -> tuple[str, list[Event]]:
    """Export the dataset's PUT data (what PutEvents recorded) to the bucket; the folder its CSV
    files are in, and the events they hold."""
    personalize = local_client("personalize", endpoint_url)
    job_name = f"demo-export-{uuid.uuid4().hex[:8]}"
    job_arn = personalize.create_dataset_export_job(
        jobName=job_name,
        datasetArn=dataset_arn,
        ingestionMode="PUT",
        roleArn=role_arn,
        jobOutput={"s3DataDestination": {"path": f"s3://{bucket}/{EXPORT_PREFIX}"}},
    )["datasetExportJobArn"]
    deadline = time.monotonic() + EXPORT_GUARD_SECONDS
    while True:
        job = personalize.describe_dataset_export_job(datasetExportJobArn=job_arn)["datasetExportJob"]
        if job["status"] == "ACTIVE":
            break
        if job["status"] == "CREATE FAILED":
            raise DemoFailed(f"the dataset export job {job_name} failed: {job.get('failureReason', '')}")
        if time.monotonic() > deadline:
            raise DemoFailed(f"the dataset export job {job_name} is still {job['status']}: a hang")
        time.sleep(0.5)
    folder = f"{EXPORT_PREFIX}{job_name}/"
    return folder, read_exported_events(endpoint_url, bucket, folder)


def read_exported_events(endpoint_url: str, bucket: str, folder: str) -> list[Event]:
    """The events in the CSV files under `folder` (each with a header of the schema's fields)."""
    s3 = local_client("s3", endpoint_url)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
    keys = sorted(item["Key"] for page in pages for item in page.get("Contents", []) if item["Key"].endswith(".csv"))
    if not keys:
        raise DemoFailed(f"the export wrote no CSV file under s3://{bucket}/{folder}")
    events: list[Event] = []
    for key in keys:
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        for row in csv.DictReader(io.StringIO(text)):
            events.append((row["USER_ID"], row["ITEM_ID"], row["EVENT_TYPE"], int(row["TIMESTAMP"])))
    return events


def what_is_left(endpoint_url: str, stack_name: str) -> dict[str, int]:
    """What the app's stack could have left behind, as the APIs list it (the demo's local cloud
    holds nothing else, but for the CDK's own bootstrap bucket)."""
    stacks = local_client("cloudformation", endpoint_url).list_stacks()["StackSummaries"]
    personalize = local_client("personalize", endpoint_url)
    roles = local_client("iam", endpoint_url).list_roles()["Roles"]
    groups = local_client("logs", endpoint_url).describe_log_groups()["logGroups"]
    buckets = local_client("s3", endpoint_url).list_buckets()["Buckets"]
    return {
        "stacks": sum(1 for s in stacks if s["StackName"] == stack_name and s["StackStatus"] != "DELETE_COMPLETE"),
        "dataset groups": len(personalize.list_dataset_groups()["datasetGroups"]),
        "datasets": len(personalize.list_datasets()["datasets"]),
        "schemas": len(personalize.list_schemas()["schemas"]),
        "event trackers": len(personalize.list_event_trackers()["eventTrackers"]),
        # CloudFormation names a bucket <stack>-<logical id>-<suffix>, in lower case
        "buckets": sum(1 for b in buckets if b["Name"].startswith(f"{stack_name.lower()}-")),
        "IAM roles": sum(1 for r in roles if r["RoleName"].startswith(stack_name)),
        # the stack's own; not those Lambda makes for a function that names no log group (aws-cdk-lib's
        # auto-delete function names none), which outlive the function, in AWS as here
        "log groups": sum(1 for g in groups if stack_name in g["logGroupName"] and not lambda_made(g["logGroupName"])),
    }


def lambdas_own_log_groups(endpoint_url: str, stack_name: str) -> list[str]:
    """The log groups Lambda made for the stack's functions that name none: Lambda's, not the stack's."""
    groups = local_client("logs", endpoint_url).describe_log_groups()["logGroups"]
    return [g["logGroupName"] for g in groups if stack_name in g["logGroupName"] and lambda_made(g["logGroupName"])]


def lambda_made(log_group: str) -> bool:
    return log_group.startswith("/aws/lambda/")


def use_the_app(
    url: str, outputs: dict[str, str], timed: Callable[[str], contextlib.AbstractContextManager[None]]
) -> None:
    """Events through the ingest function, exported back from the dataset: all of them must be there."""
    secrets = [value for name, value in outputs.items() if SECRET_OUTPUT_MARKER in name]
    try:
        _send_and_export(url, outputs, timed)
    except DemoFailed as error:
        # a function's error could quote its variables: the trackingId is never printed
        message = str(error)
        for secret in secrets:
            message = message.replace(secret, mask(SECRET_OUTPUT_MARKER, secret))
        raise DemoFailed(message) from None


def _send_and_export(
    url: str, outputs: dict[str, str], timed: Callable[[str], contextlib.AbstractContextManager[None]]
) -> None:
    payload = demo_events(datetime.datetime.now(datetime.timezone.utc))
    with timed("events"):
        sent = send_events_through_the_ingest_function(url, outputs["IngestFunctionName"], payload)
    print(
        f"\nInvoked {outputs['IngestFunctionName']} with {len(payload['events'])} events: it sent {sent} with PutEvents"
    )
    bucket = outputs["ExportBucketName"]
    with timed("export"):
        folder, exported = export_interactions(url, outputs["InteractionsDatasetArn"], bucket, outputs["ExportRoleArn"])
    print(f"Dataset export job (ingestionMode PUT) ACTIVE; its CSV files in s3://{bucket}/{folder} hold:")
    for user, item, event_type, sent_at in sorted(exported, key=lambda event: event[3]):
        when = datetime.datetime.fromtimestamp(sent_at, datetime.timezone.utc).strftime("%H:%M:%S")
        print(f"  {when}  {user}  {item}  {event_type}")
    missing = events_of(payload) - set(exported)
    if missing:
        raise DemoFailed(f"{len(missing)} of the events sent are not in the export: {sorted(missing)}")
    print(f"All {len(payload['events'])} events sent are in the export.")
    print("The bucket keeps them; `cdk destroy` empties it (auto_delete_objects, a Node.js function) and deletes it.")


def run(stack_name: str, *, show_secrets: bool = False, app_dir: Path = REPOSITORY) -> int:
    with tempfile.TemporaryDirectory(prefix="localcloud-demo-") as scratch:
        state_dir, home, outputs_file = Path(scratch, "state"), Path(scratch, "home"), Path(scratch, "outputs.json")
        print("Starting a local cloud ...", flush=True)
        with background.serving(state_dir) as cloud:
            print(f"Local cloud on {cloud.url}", flush=True)
            timings: dict[str, float] = {}

            @contextlib.contextmanager
            def timed(step: str) -> Iterator[None]:
                started = time.monotonic()
                try:
                    yield
                finally:
                    timings[step] = time.monotonic() - started

            def cdk(step: str, *args: str) -> None:
                print(f"\n$ cdk {' '.join(args)}", flush=True)
                with timed(step):
                    result = run_cdk(args, cloud.url, home, cwd=app_dir)
                if result.returncode != 0:
                    raise DemoFailed(f"`cdk {' '.join(args)}` failed (exit {result.returncode})")

            cdk("bootstrap", "bootstrap", f"aws://{ACCOUNT}/{REGION}")
            deploy = (
                "deploy",
                stack_name,
                "--strict",
                "--require-approval",
                "never",
                "--outputs-file",
                str(outputs_file),
            )
            cdk("deploy", *deploy)
            outputs = json.loads(outputs_file.read_text())[stack_name]
            print("\nOutputs, from the --outputs-file:")
            for name, value in outputs.items():
                print(f"  {name} = {mask(name, value, show_secrets)}")
            use_the_app(cloud.url, outputs, timed)
            cdk("destroy", "destroy", stack_name, "--force")
            left = what_is_left(cloud.url, stack_name)
            print("\nAfter destroy: " + ", ".join(f"{count} {what}" for what, count in left.items()) + " left")
            kept = lambdas_own_log_groups(cloud.url, stack_name)
            print(f"Lambda's own log groups, which outlive their functions as in AWS: {len(kept)}")
            print("Timings: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items()))
            if any(left.values()):
                raise DemoFailed("the destroy left something behind")
        print("Local cloud stopped.")
    return 0
