"""The stack's one provider function behind every EventTracker: code, role, log group.

docs/design.md, "The provider function and its permissions" and "Bundling": one function per
stack however many trackers it holds, a least-privilege role, and an asset staged from a
directory of the shipped files (no Docker, no bundling step) whose hash depends on those bytes
and nothing else.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import importlib.metadata
import importlib.resources
import shutil
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from aws_cdk import (
    ArnFormat,
    AssetHashType,
    AssetStaging,
    CfnResource,
    FileAssetPackaging,
    RemovalPolicy,
    Stack,
    Token,
)
from aws_cdk import aws_iam as iam

from constructs import Construct

PROVIDER_ID = "PersonalizeEventTrackerProvider"
# The newest Python runtime.
RUNTIME = "python3.14"
# The handler is a package whose modules import each other relatively, so Lambda must import it
# as a package: the asset holds it as a directory under this name, beside crhelper.
HANDLER_PACKAGE = "event_tracker"
HANDLER = f"{HANDLER_PACKAGE}.index.handler"
# Long enough for Personalize's waits (no published figure; public code waits minutes).
FUNCTION_TIMEOUT_SECONDS = 15 * 60
LOG_RETENTION_DAYS = 30
# The context key that asks constructs to record where their assets are (the CDK CLI sets it).
ASSET_METADATA_CONTEXT = "aws:cdk:enable-asset-metadata"
# A minute above the function's timeout, in seconds: a crashed handler cannot hold the stack for
# the default hour, and a slow one is never cut short by CloudFormation before it answers.
SERVICE_TIMEOUT_SECONDS = FUNCTION_TIMEOUT_SECONDS + 60

# Every action the handler calls on a tracker. Tracker ARNs end in a generated id, so no
# name can narrow them further than event-tracker/* in the stack's account and region.
TRACKER_ACTIONS = [
    "personalize:DescribeEventTracker",
    "personalize:DeleteEventTracker",
    "personalize:ListTagsForResource",
    "personalize:TagResource",
    "personalize:UntagResource",
]


class EventTrackerProvider(Construct):
    """The Lambda function, role and log group that serve every EventTracker of one stack."""

    @classmethod
    def of(cls, scope: Construct) -> EventTrackerProvider:
        """The stack's provider, created on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PROVIDER_ID)
        if isinstance(existing, EventTrackerProvider):
            return existing
        return cls(stack, PROVIDER_ID)

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        tracker_arns, dataset_group_arns = (
            stack.format_arn(
                service="personalize", resource=resource, resource_name="*", arn_format=ArnFormat.SLASH_RESOURCE_NAME
            )
            for resource in ("event-tracker", "dataset-group")
        )
        # Written with aws-cdk-lib's core and IAM only, no aws_lambda or aws_logs: importing
        # aws_lambda's Python module alone costs about 0.1 s of every synthesis
        # (docs/design.md, "Synthesis cost"). Each resource sits where the L2 construct put its
        # own (LogGroup/Resource, Function/Resource), so the logical ids are those of 0.1.0.
        self.log_group = _resource(self, "LogGroup", "AWS::Logs::LogGroup", {"RetentionInDays": LOG_RETENTION_DAYS})
        # Destroying the stack leaves nothing behind; the logs are kept a month until then.
        self.log_group.apply_removal_policy(RemovalPolicy.DESTROY)
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
        # The function writes to its own log group only.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[Token.as_string(self.log_group.get_att("Arn"))],
            )
        )
        _acknowledge_unavoidable_wildcards(self.role, tracker_arns, dataset_group_arns)
        code = _handler_asset(self, stack)
        self.function = _resource(
            self,
            "Function",
            "AWS::Lambda::Function",
            {
                "Architectures": ["arm64"],
                "Code": {"S3Bucket": code.bucket_name, "S3Key": code.object_key},
                "Description": "Creates, waits for and deletes Amazon Personalize event trackers",
                "Handler": HANDLER,
                "LoggingConfig": {"LogGroup": self.log_group.ref},
                "MemorySize": 256,
                "Role": self.role.role_arn,
                "Runtime": RUNTIME,
                "Timeout": FUNCTION_TIMEOUT_SECONDS,
            },
        )
        # The role and its policy first, as CDK's Function does: the function must be allowed
        # to log and to call Personalize before CloudFormation sends it the first request.
        default_policy = self.role.node.find_child("DefaultPolicy").node.default_child
        for dependency in (default_policy, self.role.node.default_child):
            assert isinstance(dependency, CfnResource)
            self.function.node.add_dependency(dependency)
        if self.node.try_get_context(ASSET_METADATA_CONTEXT):
            # Where SAM and other local tools find the function's code, as CDK's Function records it.
            self.function.add_metadata("aws:asset:path", code.staged_path)
            self.function.add_metadata("aws:asset:is-bundled", False)
            self.function.add_metadata("aws:asset:property", "Code")
        self.service_token = Token.as_string(self.function.get_att("Arn"))


def _resource(scope: Construct, construct_id: str, resource_type: str, properties: dict[str, Any]) -> CfnResource:
    """A resource at `<construct_id>/Resource`, the path (and so the logical id) of an L2's own."""
    return CfnResource(Construct(scope, construct_id), "Resource", type=resource_type, properties=properties)


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
    """What the asset holds, as (path inside the asset, source file): the handler package and crhelper.

    Found through the installed packages, never the current directory, so a wheel installed in
    another app bundles the same bytes. Compiled files are left out.
    """
    handler_dir = Path(str(importlib.resources.files("personalize_event_tracker._handler")))
    files = [(f"{HANDLER_PACKAGE}/{module.name}", module) for module in handler_dir.glob("*.py")]
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


@functools.cache
def staged_asset() -> Path:
    """The asset's files gathered in a private temporary directory, once per process, removed at exit.

    CDK then stages that directory as it is, under the hash above: no bundling step, so no call
    from the jsii kernel back into Python while the stack is built.
    """
    directory = Path(tempfile.mkdtemp(prefix="personalize-event-tracker-asset-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    for relative, source in asset_files():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return directory


class _StagedCode(NamedTuple):
    bucket_name: str
    object_key: str
    staged_path: str  # in the cloud assembly, as `aws:asset:path` names it


def _handler_asset(provider: Construct, stack: Stack) -> _StagedCode:
    """Stage the asset and register it with the stack's synthesizer, as `Code.from_asset` does."""
    staging = AssetStaging(
        Construct(provider, "Code"),
        "Stage",
        source_path=str(staged_asset()),
        asset_hash=asset_hash(),
        asset_hash_type=AssetHashType.CUSTOM,
    )
    staged_path = staging.relative_staged_path(stack)
    location = stack.synthesizer.add_file_asset(
        source_hash=staging.asset_hash, file_name=staged_path, packaging=FileAssetPackaging.ZIP_DIRECTORY
    )
    return _StagedCode(location.bucket_name, location.object_key, staged_path)
