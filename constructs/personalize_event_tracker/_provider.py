"""The stack's one provider function behind every EventTracker: code, role, log group.

docs/design.md, "The provider function and its permissions" and "Bundling": one function per
stack however many trackers it holds, a least-privilege role, and an asset staged by local
bundling (no Docker) whose hash depends on the bytes shipped and nothing else.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.resources
import shutil
import weakref
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    ArnFormat,
    AssetHashType,
    BundlingOptions,
    Duration,
    ILocalBundling,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from constructs import Construct

PROVIDER_ID = "PersonalizeEventTrackerProvider"
# The newest Python runtime; named here for aws-cdk-lib releases that predate its constant, so
# every supported release renders the same template.
RUNTIME = getattr(lambda_.Runtime, "PYTHON_3_14", None) or lambda_.Runtime("python3.14", lambda_.RuntimeFamily.PYTHON)
HANDLER = "index.handler"
# Long enough for Personalize's waits (no published figure; public code waits minutes).
FUNCTION_TIMEOUT = Duration.minutes(15)
# A little above the function's timeout, in seconds: a crashed handler cannot hold the stack for
# the default hour, and a slow one is never cut short by CloudFormation before it answers.
SERVICE_TIMEOUT_SECONDS = 16 * 60

# Every action the handler calls on a tracker. Tracker ARNs end in a generated id, so no
# name can narrow them further than event-tracker/* in the stack's account and region.
TRACKER_ACTIONS = [
    "personalize:DescribeEventTracker",
    "personalize:DeleteEventTracker",
    "personalize:ListTagsForResource",
    "personalize:TagResource",
    "personalize:UntagResource",
]


# Each stack's provider, found without a walk of the construct tree.
_PROVIDERS: weakref.WeakKeyDictionary[Stack, EventTrackerProvider] = weakref.WeakKeyDictionary()


class EventTrackerProvider(Construct):
    """The Lambda function, role and log group that serve every EventTracker of one stack."""

    @classmethod
    def of(cls, scope: Construct, stack: Stack | None = None) -> EventTrackerProvider:
        """The stack's provider, created on first use. Pass `stack` when it is known: every
        question to the construct tree is a jsii round trip, and this is asked once per tracker."""
        stack = stack or Stack.of(scope)
        known = _PROVIDERS.get(stack)
        if known is not None:
            return known
        existing = stack.node.try_find_child(PROVIDER_ID)
        provider = existing if isinstance(existing, EventTrackerProvider) else cls(stack, PROVIDER_ID)
        _PROVIDERS[stack] = provider
        return provider

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        tracker_arns, dataset_group_arns = (
            stack.format_arn(
                service="personalize", resource=resource, resource_name="*", arn_format=ArnFormat.SLASH_RESOURCE_NAME
            )
            for resource in ("event-tracker", "dataset-group")
        )
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=logs.RetentionDays.ONE_MONTH,
            # Destroying the stack leaves nothing behind; the logs are kept a month until then.
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Manages the stack's Amazon Personalize event trackers",
        )
        # CreateEventTracker needs both the dataset group and the new tracker. The dataset groups
        # are those of the stack's account and region, not each tracker's own: the policy stays
        # the same size however many trackers join (one is never held up by an IAM change that
        # has not propagated), and a role that may already delete any tracker there gains
        # little from narrower creation.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["personalize:CreateEventTracker"], resources=[dataset_group_arns, tracker_arns]
            )
        )
        self.role.add_to_policy(iam.PolicyStatement(actions=TRACKER_ACTIONS, resources=[tracker_arns]))
        # ListEventTrackers has no resource type: `*` is the only possible resource.
        self.role.add_to_policy(iam.PolicyStatement(actions=["personalize:ListEventTrackers"], resources=["*"]))
        self.log_group.grant_write(self.role)
        _acknowledge_unavoidable_wildcards(self.role, tracker_arns, dataset_group_arns)
        self.function = lambda_.Function(
            self,
            "Function",
            description="Creates, waits for and deletes Amazon Personalize event trackers",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=handler_code(),
            memory_size=256,
            timeout=FUNCTION_TIMEOUT,
            role=self.role,
            log_group=self.log_group,
        )
        self.service_token = self.function.function_arn


# Findings of cdk-nag's AwsSolutions pack that least privilege cannot remove, acknowledged on the
# role where they arise (aws-cdk-lib's Validations; releases before it simply skip this). A
# finding's id names the resource as the template resolves it: `<AWS::Region>` in an
# environment-agnostic stack, `us-east-1` in a stack bound to that region.
TRACKER_WILDCARD_REASON = (
    "Tracker ARNs end in an id Personalize generates at creation, so no name can narrow them: "
    "the statement is scoped to event trackers of the stack's own account and region."
)
DATASET_GROUP_WILDCARD_REASON = (
    "CreateEventTracker on the dataset groups of the stack's own account and region: one statement "
    "whatever the number of trackers, for a role that may already delete any tracker there."
)
LIST_WILDCARD_REASON = "Only personalize:ListEventTrackers has Resource *: the action has no resource type in IAM."


def unavoidable_wildcards(stack: Stack, tracker_arns: str, dataset_group_arns: str) -> dict[str, str]:
    """The acknowledged finding ids of this stack's provider role, with their reasons."""
    return {
        f"AwsSolutions::AwsSolutions-IAM5[Resource::{_as_cdk_nag_shows(stack.resolve(tracker_arns))}]": (
            TRACKER_WILDCARD_REASON
        ),
        f"AwsSolutions::AwsSolutions-IAM5[Resource::{_as_cdk_nag_shows(stack.resolve(dataset_group_arns))}]": (
            DATASET_GROUP_WILDCARD_REASON
        ),
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]": LIST_WILDCARD_REASON,
    }


def _as_cdk_nag_shows(resolved: Any) -> str:
    """A resolved template value as cdk-nag writes it in a finding id: references as `<Name>`."""
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    if isinstance(resolved, dict) and "Fn::Join" in resolved:
        separator, parts = resolved["Fn::Join"]
        return str(separator).join(_as_cdk_nag_shows(part) for part in parts)
    raise ValueError(f"unexpected value in the provider's tracker ARN: {resolved!r}")


def _acknowledge_unavoidable_wildcards(role: iam.Role, tracker_arns: str, dataset_group_arns: str) -> None:
    try:
        from aws_cdk import Acknowledgment, Validations
    except ImportError:  # pragma: no cover - aws-cdk-lib releases without policy acknowledgments
        return
    findings = unavoidable_wildcards(Stack.of(role), tracker_arns, dataset_group_arns)
    Validations.of(role).acknowledge(*(Acknowledgment(id=rule, reason=reason) for rule, reason in findings.items()))


# ---------------------------------------------------------------------------------------------
# The asset
# ---------------------------------------------------------------------------------------------

# Bump when the layout of the asset changes without a change of the files' bytes.
ASSET_FORMAT = "personalize-event-tracker-asset-1"


@functools.cache
def asset_files() -> tuple[tuple[str, Path], ...]:
    """What the asset holds, as (path inside the asset, source file): the handler and crhelper.

    Found through the installed packages, never the current directory, so a wheel installed in
    another app bundles the same bytes. Compiled files are left out.
    """
    handler_dir = Path(str(importlib.resources.files("personalize_event_tracker._handler")))
    files: list[tuple[str, Path]] = [("index.py", handler_dir / "index.py")]
    # Read from the distribution's file list: importing crhelper would import boto3, which a
    # CDK app need not have.
    crhelper = importlib.metadata.distribution("crhelper")
    for listed in crhelper.files or []:
        source = Path(str(crhelper.locate_file(listed)))
        if listed.parts[0] == "crhelper" and listed.suffix == ".py":
            files.append(("/".join(listed.parts), source))
        elif listed.name in ("LICENSE", "NOTICE") and listed.parts[0].endswith(".dist-info"):
            # crhelper is Apache-2.0: its license and notice travel with its code.
            files.append((f"crhelper/{listed.name}", source))
    return tuple(sorted(files))


@functools.cache
def asset_hash() -> str:
    """A digest of the shipped bytes and their paths only: no mtimes, absolute paths or caches."""
    digest = hashlib.sha256(ASSET_FORMAT.encode())
    for relative, source in asset_files():
        digest.update(b"\0" + relative.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class _CopyAssetFiles:
    """Local bundling: copy the asset's files into the staging directory; no Docker involved."""

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        for relative, source in asset_files():
            target = Path(output_dir, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        return True


def handler_code() -> lambda_.Code:
    handler_dir = Path(str(importlib.resources.files("personalize_event_tracker._handler")))
    return lambda_.Code.from_asset(
        str(handler_dir),
        asset_hash=asset_hash(),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds. Named because the API requires one.
            image=RUNTIME.bundling_image,
            local=_CopyAssetFiles(),
        ),
    )
