"""Updating a deployed stack from the single-file handler to the handler package (issue 18).

Until then the function ran `index.handler`: one `index.py` at the asset's root. The example app
as it was at that commit is synthesized twice: with that commit's library, and with this
checkout's. The stack deployed from the first is updated to the second, on the same local cloud:
a user upgrading the library under an unchanged app. The app stays the old commit's on both sides,
so what today's example app has gained since (an ingest function, a dataset, a bucket) changes
nothing here: only the library does.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation.assembly import StackArtifact, find_stack
from localcloud.cloudformation.resources.lambda_function import ASSET_ATTRIBUTE
from personalize_event_tracker._provider import HANDLER

from ..build_cache import cached
from .conftest import REPOSITORY, synthesize

# The last commit whose handler was the single file: the example app as it synthesized then.
SINGLE_FILE_COMMIT = "a0650100b4ead88574db22beb460594aa670ca6b"
STACK = "PersonalizeEventTrackerDemo"


def export_commit(commit: str, target: Path) -> None:
    """The commit's files, as `git archive` writes them (no .git, nothing untracked)."""

    def known() -> bool:
        found = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=REPOSITORY, capture_output=True)
        return found.returncode == 0

    if not known():
        # a shallow clone (as some CI systems make) lacks it: fetch that one commit from where it came
        subprocess.run(
            ["git", "fetch", "--quiet", "--depth=1", "origin", commit], cwd=REPOSITORY, capture_output=True, timeout=300
        )
    if not known():
        pytest.fail(f"commit {commit} is not in this clone, and `git fetch origin {commit}` could not get it")
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit], cwd=REPOSITORY, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)


def library_from(sources: Path, target: Path) -> Path:
    """The library laid out as its wheel installs it, from `sources` (a checkout): the directory to
    put first on the path, so it is imported instead of the one installed in the venv."""
    library = target / "personalize_event_tracker"
    shutil.copytree(sources / "constructs" / "personalize_event_tracker", library)
    shutil.copytree(sources / "lambda" / "event_tracker", library / "_handler")
    return target


def synthesize_single_file_app(out: Path, library_sources: Path | None) -> None:
    """The example app of SINGLE_FILE_COMMIT, with that commit's library (`library_sources` None)
    or with the library of `library_sources`."""
    with tempfile.TemporaryDirectory() as sources:
        checkout = Path(sources) / "checkout"
        export_commit(SINGLE_FILE_COMMIT, checkout)
        library = library_from(library_sources or checkout, Path(sources) / "library")
        synthesize(out, cwd=checkout, env={"PYTHONPATH": str(library)})


@pytest.fixture(scope="session")
def single_file_assembly() -> Path:
    """The example app synthesized by the real CLI from SINGLE_FILE_COMMIT (built once, cached)."""
    return cached("example-app-single-file", [SINGLE_FILE_COMMIT], lambda out: synthesize_single_file_app(out, None))


@pytest.fixture(scope="session")
def upgraded_assembly() -> Path:
    """The same app with this checkout's library (built once per change of the library, cached)."""
    return cached(
        "example-app-single-file-upgraded",
        [SINGLE_FILE_COMMIT],
        lambda out: synthesize_single_file_app(out, REPOSITORY),
    )


def provider_function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The logical id and the resource of the template's one function."""
    (function,) = [(k, r) for k, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"]
    return function


def shipped(asset: Path) -> list[str]:
    return sorted(p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file())


def without_code(artifact: StackArtifact) -> dict[str, Any]:
    """The template with the provider function's handler string and asset masked."""
    template = copy.deepcopy(artifact.template)
    _, function = provider_function(template)
    function["Properties"]["Handler"] = "<handler>"
    function["Properties"]["Code"]["S3Key"] = "<asset>"
    if "aws:asset:path" in function.get("Metadata", {}):
        function["Metadata"]["aws:asset:path"] = "<asset>"
    return template


def same_files(one: Path, other: Path) -> bool:
    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    return files(one) == files(other)


def test_updating_from_the_single_file_handler_replaces_the_code_and_keeps_the_tracker(
    harness, single_file_assembly, upgraded_assembly
):
    old, new = find_stack(single_file_assembly, STACK), find_stack(upgraded_assembly, STACK)
    function_id, old_function = provider_function(old.template)
    _, new_function = provider_function(new.template)
    old_asset = old.asset(old_function["Properties"]["Code"]["S3Key"]).source
    new_asset = new.asset(new_function["Properties"]["Code"]["S3Key"]).source
    # GIVEN the example app as it was: the handler one index.py at the asset's root
    assert old_function["Properties"]["Handler"] == "index.handler"
    assert "index.py" in shipped(old_asset) and "event_tracker/index.py" not in shipped(old_asset)
    assert new_function["Properties"]["Handler"] == HANDLER == "event_tracker.index.handler"
    assert "event_tracker/index.py" in shipped(new_asset) and "index.py" not in shipped(new_asset)
    # AND the templates differ in the handler string and the asset only
    assert without_code(old) == without_code(new)
    # AND deployed
    first = harness.engine.deploy(old)
    ((logical_id, arn),) = harness.stack_trackers(STACK).items()
    before = harness.tracker(arn)
    assert before["status"] == "ACTIVE" and first == {"TrackingId": before["trackingId"]}

    # WHEN the stack is updated to the handler package (the same app, this checkout's library)
    second = harness.engine.deploy(new)

    # THEN the function's code and handler string are the new ones
    function = harness.engine.stacks[STACK]["resources"][function_id]
    assert function["properties"]["Handler"] == HANDLER
    # (the zip the stack's assets were published as, unpacked: the new asset's files, byte for byte)
    assert same_files(Path(function["attributes"][ASSET_ATTRIBUTE]), new_asset)
    # AND the tracker stays, with its trackingId: CloudFormation sent it nothing, neither an
    # Update nor a Create of a replacement and the Delete of the old one
    assert harness.stack_trackers(STACK) == {logical_id: arn}
    assert harness.tracker(arn) == before
    assert second == first
    assert harness.requests() == ["Create"]

    # WHEN the stack is destroyed
    harness.engine.destroy(STACK)
    # THEN the new code deleted the tracker the old code created
    assert harness.trackers() == []
    assert harness.requests() == ["Create", "Delete"]
    (delete,) = [i for i in harness.engine.invocations if i.request_type == "Delete"]
    assert [a.status for a in delete.attempts] == ["success"]
    output = delete.attempts[0].output
    # the function the Delete ran is the package (its handler string above); Lambda's runtime
    # client writes `[INFO] <time> <request id> <message>`, without the logger's name
    assert re.search(rf"\[INFO\]\t\S+\t[0-9a-f-]{{36}}\tDeleting event tracker {re.escape(arn)}\n", output), output
