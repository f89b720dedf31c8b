"""`python -m localcloud`: run the emulator, deploy and destroy stacks, or run the whole demo.

    python -m localcloud serve [--port 4566]         the local cloud's endpoint, every AWS API it offers
    python -m localcloud deploy cdk.out              deploy (or update) the assembly's stack
    python -m localcloud outputs [--show-secrets]    the deployed stack's outputs
    python -m localcloud destroy                     destroy the deployed stack
    python -m localcloud demo cdk.out                deploy, send an event, destroy, show what is left

deploy, outputs and destroy keep the cloud's state (the emulator's and the stacks') in
--state-dir, so they can run as separate commands; serve keeps its state there too, across restarts.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import logging
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from .assembly import find_stack
from .cloudformation import DeploymentFailed, LocalCloud, Settings, print_progress
from .emulator import Emulator
from .endpoint import Endpoint
from .personalize import DELAY_PRESETS, Personalize
from .response_server import ResponseServer

SECRET_OUTPUT_MARKER = "TrackingId"


@contextlib.contextmanager
def running_cloud(state_dir: Path, delays: str, settings: Settings | None = None) -> Iterator[LocalCloud]:
    """The emulator, the ResponseURL server and the driver, with their state in `state_dir`."""
    service = Personalize(delays=DELAY_PRESETS[delays], state_file=state_dir / "personalize.json")
    with Emulator(service) as emulator, ResponseServer() as responses:
        started = time.monotonic()
        yield LocalCloud(
            emulator,
            responses,
            state_file=state_dir / "stacks.json",
            settings=settings,
            progress=print_progress(started),
        )


def mask(name: str, value: str, show_secrets: bool) -> str:
    """A trackingId lets anyone send events: shown only on request."""
    if SECRET_OUTPUT_MARKER not in name or show_secrets:
        return value
    return f"{value[:4]}{'*' * max(0, len(value) - 4)}  (hidden; --show-secrets shows it)"


def print_outputs(outputs: dict[str, str], show_secrets: bool) -> None:
    print("Outputs:")
    for name, value in outputs.items():
        print(f"  {name} = {mask(name, value, show_secrets)}")


def send_event(cloud: LocalCloud, tracking_id: str) -> int:
    """PutEvents with boto3 through the emulator; the number of events it recorded for the tracker."""
    events = cloud.emulator.client("personalize-events")
    events.put_events(
        trackingId=tracking_id,
        userId="demo-user",
        sessionId=f"demo-session-{uuid.uuid4().hex[:8]}",
        eventList=[{"eventType": "click", "itemId": "item-42", "sentAt": datetime.datetime.now(datetime.timezone.utc)}],
    )
    tracker_arns = [
        t["eventTrackerArn"]
        for t in cloud.emulator.service.snapshot()["eventTrackers"]
        if t["trackingId"] == tracking_id
    ]
    return sum(1 for e in cloud.emulator.service.events if e["eventTrackerArn"] in tracker_arns)


def what_is_left(cloud: LocalCloud) -> str:
    state = cloud.emulator.service.snapshot()
    return f"{len(state['datasetGroups'])} dataset groups, {len(state['eventTrackers'])} event trackers"


def demo(assembly: Path, stack: str, show_secrets: bool) -> int:
    artifact = find_stack(assembly, stack)
    with (
        tempfile.TemporaryDirectory(prefix="localcloud-demo-") as state_dir,
        running_cloud(Path(state_dir), "demo") as cloud,
    ):
        print(f"Personalize emulator on {cloud.emulator.endpoint_url}; deploying {artifact.stack_name}")
        started = time.monotonic()
        outputs = cloud.deploy(artifact)
        deployed = time.monotonic() - started
        for tracker in cloud.emulator.service.snapshot()["eventTrackers"]:
            print(f"Event tracker {tracker['name']} ({tracker['eventTrackerArn']}): {tracker['status']}")
        print_outputs(outputs, show_secrets)
        tracking_ids = [v for k, v in outputs.items() if SECRET_OUTPUT_MARKER in k]
        for tracking_id in tracking_ids:
            recorded = send_event(cloud, tracking_id)
            print(f"PutEvents accepted: the tracker has recorded {recorded} event(s)")
        started = time.monotonic()
        cloud.destroy(artifact.stack_name)
        destroyed = time.monotonic() - started
        print(f"After destroy: {what_is_left(cloud)} left")
        print(f"Timings: deploy {deployed:.1f} s, destroy {destroyed:.1f} s")
        cloud.wait_for_invocations()
        unanswered = cloud.unanswered()
        if unanswered:
            print(f"{len(unanswered)} custom resource requests were never answered", file=sys.stderr)
            return 1
    return 0


def serve_endpoint(port: int, state_dir: Path, delays: str, faults: dict[str, object], verbose: bool) -> int:
    """The whole endpoint until SIGINT or SIGTERM; prints where it is and what a client exports."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if verbose:
        logging.getLogger("localcloud.endpoint").setLevel(logging.DEBUG)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    with Endpoint(port=port, state_dir=state_dir, delays=DELAY_PRESETS[delays]) as endpoint:
        endpoint.personalize.set_faults(**faults)
        for line in endpoint.banner():
            print(line, flush=True)
        print("Ctrl-C (or SIGTERM) stops it.", flush=True)
        stopped.wait()
    print("Local cloud stopped.", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve every AWS API of the local cloud until interrupted")
    serve.add_argument("--port", type=int, default=4566, help="0 picks any free port")
    serve.add_argument(
        "--faults",
        type=json.loads,
        default={},
        help='faults to inject, as JSON: {"throttle": {"CreateEventTracker": ["LimitExceededException"]}}',
    )
    serve.add_argument("--verbose", action="store_true", help="log every request: service, operation, status")
    for name in ("deploy", "destroy", "outputs", "demo", "serve"):
        command = serve if name == "serve" else commands.add_parser(name)
        if name in ("deploy", "demo"):
            command.add_argument("assembly", type=Path, nargs="?", default=Path("cdk.out"))
        if name != "serve":
            command.add_argument("--stack", default="", help="the stack's name (default: the only one)")
        command.add_argument("--state-dir", type=Path, default=Path(".localcloud"))
        command.add_argument("--delays", choices=sorted(DELAY_PRESETS), default="demo")
        command.add_argument("--show-secrets", action="store_true", help="print trackingIds in full")
    args = parser.parse_args(argv)

    try:
        if args.command == "demo":
            return demo(args.assembly, args.stack, args.show_secrets)
        if args.command == "serve":
            return serve_endpoint(args.port, args.state_dir, args.delays, args.faults, args.verbose)
        with running_cloud(args.state_dir, args.delays) as cloud:
            if args.command == "deploy":
                artifact = find_stack(args.assembly, args.stack)
                print_outputs(cloud.deploy(artifact), args.show_secrets)
            elif args.command == "outputs":
                stack = args.stack or next(iter(cloud.stacks), "")
                if stack not in cloud.stacks:
                    print("No stack is deployed.")
                    return 1
                print_outputs(cloud.outputs(stack), args.show_secrets)
            elif args.command == "destroy":
                for stack in [args.stack] if args.stack else list(cloud.stacks):
                    cloud.destroy(stack)
                print(f"After destroy: {what_is_left(cloud)} left")
            cloud.wait_for_invocations()
    except DeploymentFailed as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    return 0
