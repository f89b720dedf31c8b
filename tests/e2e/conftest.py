"""The end-to-end suite: the real CDK CLI's assemblies, deployed on the local cloud.

Every test gets a fresh emulator, ResponseURL server and driver; afterwards the invariants are
checked: every request answered, no orphaned tracker, no foreign tracker touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from localcloud.assembly import StackArtifact, find_stack
from localcloud.cloudformation import Invocation, LocalCloud, Settings
from localcloud.emulator import Emulator
from localcloud.personalize import Personalize
from localcloud.response_server import ResponseServer

if TYPE_CHECKING:
    from mypy_boto3_personalize.type_defs import TagTypeDef

REPOSITORY = Path(__file__).resolve().parents[2]
VARIANTS = [
    "base",
    "renamed",
    "retagged",
    "regrouped",
    "ten",
    "fifty",
    "existing",
    "two-existing",
    "malformed",
    "base-retained",
    "renamed-retained",
    "regrouped-retained",
]
TRACKER_TYPE = "Custom::PersonalizeEventTracker"
FOREIGN_TAGS: list[TagTypeDef] = [{"tagKey": "owner", "tagValue": "another-team"}]


def cdk_cli() -> list[str]:
    cli = REPOSITORY / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        raise FileNotFoundError("the pinned CDK CLI is missing: run `make setup`")
    return [str(cli), "--no-notices"]


@pytest.fixture(scope="session")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each variant of tests/e2e/apps/variants.py, synthesized by the real CDK CLI, two at a time."""
    root = tmp_path_factory.mktemp("assemblies")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "CDK_DISABLE_CLI_TELEMETRY": "true"}
    app = f"{sys.executable} {REPOSITORY / 'tests' / 'e2e' / 'apps' / 'variants.py'}"
    out = {variant: root / variant for variant in VARIANTS}
    pending = list(VARIANTS)
    while pending:
        batch, pending = pending[:2], pending[2:]
        processes = [
            (
                variant,
                subprocess.Popen(
                    [
                        *cdk_cli(),
                        "synth",
                        "--quiet",
                        "--strict",
                        "--app",
                        app,
                        "-c",
                        f"variant={variant}",
                        "-o",
                        str(out[variant]),
                    ],
                    cwd=REPOSITORY,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
            )
            for variant in batch
        ]
        for variant, process in processes:
            output, _ = process.communicate(timeout=300)
            assert process.returncode == 0, f"cdk synth of {variant} failed:\n{output}"
    return out


@pytest.fixture(scope="session")
def example_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example app, synthesized by the real CDK CLI from the repository's cdk.json, `--strict`:
    a warning from the library would fail it, as it would fail a user's pipeline."""
    out = tmp_path_factory.mktemp("example") / "cdk.out"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    subprocess.run(
        [*cdk_cli(), "synth", "--quiet", "--strict", "-o", str(out)],
        cwd=REPOSITORY,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out


def artifact(assemblies: dict[str, Path], variant: str) -> StackArtifact:
    return find_stack(assemblies[variant], "E2E")


class Harness:
    """A running local cloud plus what the tests need to arrange and inspect it."""

    def __init__(self, tmp_path: Path) -> None:
        self.service = Personalize()
        self.emulator = Emulator(self.service).start()
        self.responses = ResponseServer().start()
        self.settings = Settings(lambda_retry_delay=0.2)
        self.progress: list[tuple[str, ...]] = []
        self.cloud = LocalCloud(
            self.emulator,
            self.responses,
            state_file=tmp_path / "stacks.json",
            settings=self.settings,
            progress=lambda *event: self.progress.append(event),
        )
        self.client = self.emulator.client()
        self.foreign: dict[str, dict[str, Any]] = {}
        self.expected_unanswered: list[Invocation] = []  # invocations a test made unanswerable on purpose

    def stop(self) -> None:
        self.emulator.stop()
        self.responses.stop()

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

    @staticmethod
    def wait(condition: Callable[[], bool], timeout: float = 10) -> None:
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
        record = self.cloud.stacks.get(stack, {"resources": {}})
        return {
            logical_id: r["physical_id"] for logical_id, r in record["resources"].items() if r["type"] == TRACKER_TYPE
        }

    def requests(self, logical_id: str = "") -> list[str]:
        return [i.request_type for i in self.cloud.invocations if not logical_id or i.logical_id == logical_id]

    def check_invariants(self) -> None:
        self.cloud.wait_for_invocations(timeout=120)
        unanswered = [i for i in self.cloud.unanswered() if i not in self.expected_unanswered]
        assert not unanswered, [
            (i.logical_id, i.request_type, [a.output[-600:] for a in i.attempts]) for i in unanswered
        ]
        live = {t["eventTrackerArn"]: t for t in self.trackers()}
        managed = set()
        for record in self.cloud.stacks.values():
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
        h.stop()
