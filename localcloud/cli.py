"""`python -m localcloud`: the local cloud, and the real CDK CLI pointed at it.

    python -m localcloud serve [--port 4566]   every AWS API the local cloud offers, until Ctrl-C
    python -m localcloud up [--port 4566]      the same, in the background
    python -m localcloud cdk ARGS...           the pinned CDK CLI against the running local cloud
    python -m localcloud env                   the exports that point boto3 or the AWS CLI at it
    python -m localcloud outputs               the deployed stacks' outputs (trackingIds masked)
    python -m localcloud down                  stop the background local cloud
    python -m localcloud demo                  bootstrap, deploy, use and destroy the example app
                                               with the CDK CLI, on a local cloud of its own

Every command but `demo` works on the local cloud of --state-dir (default .localcloud), whose
state (stacks, bucket objects, parameters, trackers) survives a restart.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shlex
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import background
from .cdk_cli import run_cdk
from .local_env import isolate_this_process, local_client, local_environment
from .personalize import DELAY_PRESETS

if TYPE_CHECKING:
    from .endpoint import Endpoint

# The endpoint (moto's services, the stack engine, the Lambda runtime) and the demo are imported
# by the commands that run them, `serve` and `demo`: the others (`up`, `down`, `cdk`, `env`,
# `outputs`) only talk to a running local cloud, and would otherwise spend about a third of a
# second of CPU importing it, on every `python -m localcloud cdk ...` a user runs.

DEFAULT_STATE_DIR = Path(".localcloud")
EXAMPLE_STACK = "PersonalizeEventTrackerDemo"
# How often `serve`'s main thread looks whether it was told to stop (see `serve`).
SIGNAL_POLL_SECONDS = 0.2
LOG = logging.getLogger("localcloud")


def serve(port: int, state_dir: Path, delays: str, faults: dict[str, object], verbose: bool) -> int:
    """The whole endpoint until SIGINT or SIGTERM; prints where it is and what a client exports.

    Refused, having touched nothing, when the port is busy or another local cloud holds the state
    directory (RuntimeError: PortInUse, DirectoryBusy, IncompatibleState). Once serving, it never
    returns: told to stop, it halts the endpoint (the state fenced first), kills every Lambda
    environment, and ends the process at once. Waiting for the stack operations' threads could
    take as long as a custom resource's ServiceTimeout, and the interpreter's own exit would wait
    for them, with the state still writable; they are abandoned instead, their operations left in
    progress in the state, for the next start to conclude.
    """
    from .endpoint import Endpoint

    isolate_this_process()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if verbose:
        logging.getLogger("localcloud.endpoint").setLevel(logging.DEBUG)
    endpoint = Endpoint(port=port, state_dir=state_dir, delays=DELAY_PRESETS[delays]).start()
    # What starting left (the modules, moto's backends, botocore's models, the restored state)
    # lives as long as the process: the cycle collector need not walk it again (`collect_seldom`,
    # set in `__main__.py`, says how often it runs). Collections took a fifth of the CPU of the
    # 26 serving processes of tests/e2e/test_restarts.py (7.1 s of 35.5 s); with both, those
    # processes took 30-38 s of CPU where they took 42-48 s with this alone, run in turns.
    gc.freeze()
    told_to_stop: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        # No lock here: the handler runs in the main thread between two of its bytecodes, which
        # may be inside a lock it holds.
        signal.signal(signum, lambda received, _: told_to_stop.append(received))
    status = 1
    try:
        endpoint.personalize.set_faults(**faults)
        for line in endpoint.banner():
            print(line, flush=True)
        concluding = endpoint.cloudformation.concluding()
        if concluding:
            print(concluding_line(concluding), flush=True)
        print("Ctrl-C (or SIGTERM) stops it.", flush=True)
        background.record(state_dir, endpoint.url)
        # A short sleep, not a wait on a lock: the kernel hands a signal to any of the process's
        # threads, and Python runs the handler only once the main thread runs again. Blocked on
        # a lock with no timeout it would not, and the server would never stop.
        while not told_to_stop:
            time.sleep(SIGNAL_POLL_SECONDS)
        status = 0
    except Exception:
        LOG.exception("the local cloud failed")
    finally:
        _halt(endpoint, state_dir, status)


# How long `serve`'s stop may take before the process ends anyway: its steps are bounded one by
# one, but a step stuck on a busy machine must not keep a stopped server alive.
HALT_GUARD_SECONDS = 5.0


def _halt(endpoint: Endpoint, state_dir: Path, status: int) -> NoReturn:
    """`serve`'s end: the endpoint halted, every Lambda environment killed, the process gone, within
    `HALT_GUARD_SECONDS` whatever a step does. The state is fenced first thing, and the function
    environments die with the process in any case: their zygote ends them when its socket closes."""
    from . import lambda_runtime

    step = ["starting"]
    stopped = threading.Event()

    def stop_everything() -> None:
        try:
            step[0] = "forgetting the endpoint file"
            background.forget(state_dir)
            step[0] = "halting the endpoint"
            endpoint.halt()
            step[0] = "ending the Lambda environments"
            lambda_runtime.environments().shutdown()
            step[0] = ""
        except BaseException:
            LOG.exception("the local cloud did not stop cleanly")
        finally:
            stopped.set()

    threading.Thread(target=stop_everything, name="localcloud-stop", daemon=True).start()
    if not stopped.wait(HALT_GUARD_SECONDS):
        LOG.error("the local cloud's stop was still %s after %g s: the process ends now", step[0], HALT_GUARD_SECONDS)
    if step[0]:
        status = 1
    print("Local cloud stopped.", flush=True)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # abandoning the threads is the point (see `serve`)


def concluding_line(stacks: list[str]) -> str:
    return (
        f"Concluding what the last stop interrupted on {', '.join(stacks)} as CloudFormation would (a create or "
        "an update rolls back, a delete is retried); DescribeStacks shows *_IN_PROGRESS until it is done"
    )


def print_env(state_dir: Path) -> int:
    """The variables a shell exports to point boto3, the AWS CLI or any CDK app at the local cloud."""
    cloud = background.require(state_dir)
    safe = local_environment(cloud.url, home=state_dir / "home", inherited={})
    for name in sorted(safe):
        print(f"export {name}={shlex.quote(safe[name])}")
    print("unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN")
    return 0


def print_outputs(state_dir: Path, show_secrets: bool) -> int:
    from .demo import mask

    cloud = background.require(state_dir)
    stacks = local_client("cloudformation", cloud.url).describe_stacks()["Stacks"]
    for stack in stacks:
        print(f"{stack['StackName']} ({stack['StackStatus']})")
        for output in stack.get("Outputs", []):
            print(f"  {output['OutputKey']} = {mask(output['OutputKey'], output['OutputValue'], show_secrets)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("serve", "serve every AWS API of the local cloud until interrupted"),
        ("up", "serve it in the background (nothing happens if it already runs)"),
        ("down", "stop the background local cloud"),
        ("cdk", "run the pinned CDK CLI against the running local cloud: python -m localcloud cdk deploy ..."),
        ("env", "print the exports that point boto3, the AWS CLI or a CDK app at the running local cloud"),
        ("outputs", "print the deployed stacks' outputs"),
        ("demo", "bootstrap, deploy, use and destroy the example app with the CDK CLI on a local cloud of its own"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        if name != "demo":
            command.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
        if name in ("serve", "up"):
            command.add_argument("--port", type=int, default=4566, help="0 picks any free port")
            command.add_argument("--delays", choices=sorted(DELAY_PRESETS), default="demo")
        if name == "serve":
            command.add_argument(
                "--faults",
                type=json.loads,
                default={},
                help='faults to inject, as JSON: {"throttle": {"CreateEventTracker": ["LimitExceededException"]}}',
            )
            command.add_argument("--verbose", action="store_true", help="log every request: service, operation, status")
        if name in ("outputs", "demo"):
            command.add_argument("--show-secrets", action="store_true", help="print trackingIds in full")
        if name == "cdk":
            command.add_argument("args", nargs=argparse.REMAINDER, help="the CDK CLI's arguments")
    args = parser.parse_args(argv)

    try:
        if args.command == "serve":
            return serve(args.port, args.state_dir, args.delays, args.faults, args.verbose)
        if args.command == "up":
            cloud = background.start(args.state_dir, port=args.port, delays=args.delays)
            print(
                f"Local cloud on {cloud.url} (state in {args.state_dir}, log in {args.state_dir / background.LOG_FILE})"
            )
            concluding = background.concluding(cloud.url)
            if concluding:
                print(concluding_line(concluding))
            return 0
        if args.command == "down":
            print("Local cloud stopped." if background.stop(args.state_dir) else "No local cloud was running.")
            return 0
        if args.command == "cdk":
            cloud = background.require(args.state_dir)
            return run_cdk(args.args, cloud.url, args.state_dir / "home").returncode
        if args.command == "env":
            return print_env(args.state_dir)
        if args.command == "outputs":
            return print_outputs(args.state_dir, args.show_secrets)
        from . import demo

        return demo.run(EXAMPLE_STACK, show_secrets=args.show_secrets)
    except RuntimeError as error:  # background.NotRunning, demo.DemoFailed, and what `serve` refuses
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C before `serve` serves, or during a command that waits
        return 130
