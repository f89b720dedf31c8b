"""The demo: what a user does with the example app, with the real CDK CLI, on a local cloud of its own.

1. start a local cloud (a private state directory, any free port);
2. `cdk bootstrap`, then `cdk deploy --strict --require-approval never --outputs-file ...` (a
   warning from the library would fail it): the CLI's own progress display is what the user watches;
3. the trackingId read from the outputs file, shown masked;
4. an event sent with boto3 to the local Personalize;
5. `cdk destroy --force`, then what is left, counted through the AWS APIs;
6. the local cloud stopped.
"""

from __future__ import annotations

import datetime
import json
import tempfile
import time
import uuid
from pathlib import Path

from . import background
from .cdk_cli import REPOSITORY, run_cdk
from .local_env import ACCOUNT, REGION, local_client

SECRET_OUTPUT_MARKER = "TrackingId"


class DemoFailed(RuntimeError):
    pass


def mask(name: str, value: str, show_secrets: bool = False) -> str:
    """A trackingId lets anyone send events: shown only on request."""
    if SECRET_OUTPUT_MARKER not in name or show_secrets:
        return value
    return f"{value[:4]}{'*' * max(0, len(value) - 4)}  (hidden; --show-secrets shows it)"


def send_event(endpoint_url: str, tracking_id: str) -> None:
    local_client("personalize-events", endpoint_url).put_events(
        trackingId=tracking_id,
        userId="demo-user",
        sessionId=f"demo-session-{uuid.uuid4().hex[:8]}",
        eventList=[{"eventType": "click", "itemId": "item-42", "sentAt": datetime.datetime.now(datetime.timezone.utc)}],
    )


def what_is_left(endpoint_url: str, stack_name: str) -> dict[str, int]:
    """What the app's stack could have left behind, as the APIs list it."""
    stacks = local_client("cloudformation", endpoint_url).list_stacks()["StackSummaries"]
    personalize = local_client("personalize", endpoint_url)
    roles = local_client("iam", endpoint_url).list_roles()["Roles"]
    groups = local_client("logs", endpoint_url).describe_log_groups()["logGroups"]
    return {
        "stacks": sum(1 for s in stacks if s["StackName"] == stack_name and s["StackStatus"] != "DELETE_COMPLETE"),
        "dataset groups": len(personalize.list_dataset_groups()["datasetGroups"]),
        "event trackers": len(personalize.list_event_trackers()["eventTrackers"]),
        "IAM roles": sum(1 for r in roles if r["RoleName"].startswith(stack_name)),
        "log groups": sum(1 for g in groups if stack_name in g["logGroupName"]),
    }


def run(stack_name: str, *, show_secrets: bool = False, app_dir: Path = REPOSITORY) -> int:
    with tempfile.TemporaryDirectory(prefix="localcloud-demo-") as scratch:
        state_dir, home, outputs_file = Path(scratch, "state"), Path(scratch, "home"), Path(scratch, "outputs.json")
        print("Starting a local cloud ...", flush=True)
        with background.serving(state_dir) as cloud:
            print(f"Local cloud on {cloud.url}", flush=True)
            timings: dict[str, float] = {}

            def cdk(step: str, *args: str) -> None:
                print(f"\n$ cdk {' '.join(args)}", flush=True)
                started = time.monotonic()
                result = run_cdk(args, cloud.url, home, cwd=app_dir)
                timings[step] = time.monotonic() - started
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
            tracking_ids = [v for k, v in outputs.items() if SECRET_OUTPUT_MARKER in k]
            for tracking_id in tracking_ids:
                send_event(cloud.url, tracking_id)
                print("PutEvents with that trackingId: accepted by the local Personalize")
            cdk("destroy", "destroy", stack_name, "--force")
            left = what_is_left(cloud.url, stack_name)
            print("\nAfter destroy: " + ", ".join(f"{count} {what}" for what, count in left.items()) + " left")
            print("Timings: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items()))
            if any(left.values()):
                raise DemoFailed("the destroy left something behind")
        print("Local cloud stopped.")
    return 0
