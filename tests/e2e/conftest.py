"""The end-to-end suite: the real CDK CLI's assemblies, deployed on the local cloud.

A test with `harness` gets a fresh local cloud (an endpoint in this process, its Personalize on a
clock the test controls) and deploys to its stack engine; afterwards the invariants are checked:
every request answered, no orphaned tracker, no foreign tracker touched. The journeys through
the CDK CLI share one served local cloud per worker instead (`cli_cloud`, tests/e2e/cli_cloud.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from localcloud.cloudformation import Invocation, Settings
from localcloud.cloudformation.assembly import StackArtifact, find_stack
from localcloud.endpoint import Endpoint
from localcloud.personalize import Personalize
from localcloud.personalize.clock import ControlledClock

from ..build_cache import cached
from .cli_cloud import cli_cloud, shared_cli_cloud  # noqa: F401 - fixtures, for every e2e test module

if TYPE_CHECKING:
    from mypy_boto3_personalize.type_defs import TagTypeDef

REPOSITORY = Path(__file__).resolve().parents[2]
VARIANTS_APP = REPOSITORY / "tests" / "e2e" / "apps" / "variants.py"
TRACKER_TYPE = "Custom::PersonalizeEventTracker"
FOREIGN_TAGS: list[TagTypeDef] = [{"tagKey": "owner", "tagValue": "another-team"}]
# How long a test waits for something that must happen before it calls it a hang: never a
# measure of speed, so a busy machine only makes it wait longer.
HANG_GUARD_SECONDS = 120.0


def cdk_cli() -> list[str]:
    cli = REPOSITORY / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        raise FileNotFoundError("the pinned CDK CLI is missing: run `make setup`")
    return [str(cli), "--no-notices"]


def synthesize(out: Path, *args: str, cwd: Path = REPOSITORY, env: dict[str, str] | None = None) -> None:
    """`cdk synth` by the real CDK CLI into `out`, `--strict` (a warning from the library would
    fail it, as it would fail a user's pipeline), from `cwd`'s cdk.json unless `args` name
    another app; `python3` is this venv's."""
    result = subprocess.run(
        [*cdk_cli(), "synth", "--quiet", "--strict", *args, "-o", str(out)],
        cwd=cwd,
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"cdk synth {' '.join(args)} failed:\n{result.stdout}{result.stderr}"


def cdk_synth(name: str, *args: str) -> Path:
    """An assembly synthesized from this checkout (`synthesize`), built once per change of its
    sources (tests/build_cache.py)."""
    return cached(name, args, lambda out: synthesize(out, *args))


@pytest.fixture(scope="session")
def assemblies() -> Path:
    """One assembly holding every variant of tests/e2e/apps/variants.py, each a stack named E2E."""
    return cdk_synth("e2e-variants", "--app", f"{sys.executable} {VARIANTS_APP}")


@pytest.fixture(scope="session")
def example_assembly() -> Path:
    """The example app, synthesized from the repository's cdk.json."""
    return cdk_synth("example-app")


def artifact(assemblies: Path, variant: str) -> StackArtifact:
    return find_stack(assemblies, f"E2E-{variant}")


class Harness:
    """A running local cloud plus what the tests need to arrange and inspect it."""

    def __init__(self, tmp_path: Path) -> None:
        # the service's clock: a test that must see a status window or the read lag pauses it
        self.clock = ControlledClock()
        self.service = Personalize(clock=self.clock)
        self.settings = Settings(lambda_retry_delay=0.2)
        self.endpoint = Endpoint(state_dir=tmp_path / "cloud", personalize=self.service, settings=self.settings).start()
        # the stack engine behind the endpoint's CloudFormation, driven here with cloud assemblies
        self.engine = self.endpoint.cloudformation.engine
        self.responses = self.engine.responses
        self.progress: list[tuple[str, ...]] = []
        self.engine.listen(lambda *event: self.progress.append(event))
        self.client = self.endpoint.client("personalize")
        self.foreign: dict[str, dict[str, Any]] = {}
        self.expected_unanswered: list[Invocation] = []  # invocations a test made unanswerable on purpose
        self._triggers: list[tuple[str, threading.Event]] = []

    def stop(self) -> None:
        self.endpoint.stop()

    # --- arranging -----------------------------------------------------------------------------

    def existing_group(self, name: str, *, active: bool = True) -> str:
        arn = self.client.create_dataset_group(name=name)["datasetGroupArn"]
        if active:
            self.wait(lambda: self.service.snapshot()["datasetGroups"][-1]["status"] == "ACTIVE")
        return str(arn)

    def foreign_tracker(self, dataset_group_arn: str) -> str:
        """A tracker someone else made: it must survive everything, untouched."""
        arn = str(
            self.client.create_event_tracker(
                name="someone-elses", datasetGroupArn=dataset_group_arn, tags=FOREIGN_TAGS
            )["eventTrackerArn"]
        )
        self.wait(lambda: self.tracker(arn)["status"] == "ACTIVE")
        self.foreign[arn] = self.tracker(arn)
        return arn

    def when(self, description: str, condition: Callable[[], bool], action: Callable[[], None]) -> None:
        """Run `action` as soon as `condition` holds, while the test goes on (typically deploying).

        This orders events by what happened, not by how long it took: with the service's clock
        paused or a gate closed, the order a test needs holds however busy the machine is.
        """
        done = threading.Event()
        self._triggers.append((description, done))

        def watch() -> None:
            self.wait(condition, timeout=HANG_GUARD_SECONDS)
            action()
            done.set()

        threading.Thread(target=watch, name=description, daemon=True).start()

    def stop_the_clock_as(self, operation: str) -> None:
        """Pause the service's clock at the moment the next `operation` call runs: what it creates
        keeps its first status until the test resumes the clock (a gate holds the call meanwhile)."""
        self.service.gates.close(operation)

        def run_it_on_a_stopped_clock() -> None:
            self.clock.pause()
            self.service.gates.open(operation)

        self.when(f"{operation} called", lambda: self.service.gates.waiting(operation) > 0, run_it_on_a_stopped_clock)

    def tracker_calls(self, operation: str, outcome: str = "OK", target_suffix: str = "") -> list[Any]:
        return [
            c
            for c in list(self.service.calls)
            if c.operation == operation and c.outcome == outcome and c.target.endswith(target_suffix)
        ]

    def invoked(self, logical_prefix: str, request_type: str) -> bool:
        """Whether the custom resource `logical_prefix...` has been sent a `request_type` request."""
        return any(
            i.logical_id.startswith(logical_prefix) and i.request_type == request_type
            for i in list(self.engine.invocations)
        )

    @staticmethod
    def wait(condition: Callable[[], bool], timeout: float = HANG_GUARD_SECONDS) -> None:
        """Wait for a condition; the timeout only guards against a hang, it never decides a result."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "condition not reached"
            time.sleep(0.05)

    # --- inspecting ----------------------------------------------------------------------------

    def trackers(self) -> list[dict[str, Any]]:
        return list(self.service.snapshot()["eventTrackers"])

    def tracker(self, arn: str) -> dict[str, Any]:
        (found,) = [t for t in self.trackers() if t["eventTrackerArn"] == arn]
        return found

    def stack_trackers(self, stack: str = "E2E") -> dict[str, str]:
        """Logical id -> tracker ARN, as the deployed stack records them."""
        record = self.engine.stacks.get(stack)
        resources = record["resources"] if record is not None else {}
        return {logical_id: r["physical_id"] for logical_id, r in resources.items() if r["type"] == TRACKER_TYPE}

    def requests(self, logical_id: str = "") -> list[str]:
        return [i.request_type for i in self.engine.invocations if not logical_id or i.logical_id == logical_id]

    def check_invariants(self) -> None:
        unmet = [description for description, done in self._triggers if not done.is_set()]
        assert not unmet, f"what the test arranged never happened: {unmet}"
        self.engine.wait_for_invocations(timeout=120)
        unanswered = [i for i in self.engine.unanswered() if i not in self.expected_unanswered]
        assert not unanswered, [
            (i.logical_id, i.request_type, [a.output[-600:] for a in i.attempts]) for i in unanswered
        ]
        live = {t["eventTrackerArn"]: t for t in self.trackers()}
        managed = set()
        for record in self.engine.stacks.values():
            managed |= {r["physical_id"] for r in record["resources"].values() if r["type"] == TRACKER_TYPE}
        orphans = set(live) - managed - set(self.foreign)
        assert not orphans, f"orphaned trackers: {orphans}"
        for arn, before in self.foreign.items():
            assert arn in live, f"foreign tracker {arn} was deleted"
            assert live[arn]["tags"] == before["tags"] and live[arn]["status"] == "ACTIVE"


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    try:
        yield h
        h.check_invariants()
    finally:
        # a test that failed with the clock paused or a gate closed must not hold up anything after it
        h.clock.resume()
        h.service.gates.open_all()
        h.stop()
