"""EventTracker: an Amazon Personalize event tracker as a first-class CDK resource."""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import jsii
from aws_cdk import (
    CfnOutput,
    CfnResource,
    ITaggable,
    Names,
    RemovalPolicy,
    Stack,
    TagManager,
    TagType,
    Token,
)
from aws_cdk import aws_iam as iam

from constructs import Construct, IConstruct, IValidation

from . import _validation as rules
from ._contract import (
    ATTRIBUTE_TRACKING_ID,
    PROPERTY_DATASET_GROUP_ARN,
    PROPERTY_NAME,
    PROPERTY_REMOVAL_POLICY,
    PROPERTY_TAGS,
    REMOVAL_POLICY_RETAIN,
    RESOURCE_TYPE,
)
from ._provider import SERVICE_TIMEOUT_SECONDS, EventTrackerProvider
from ._validation import EventTrackerPropsError

if TYPE_CHECKING:
    from aws_cdk import aws_ssm as ssm

PUT_EVENTS_ACTIONS = ["personalize:PutEvents"]


@runtime_checkable
class IEventTracker(Protocol):
    """An Amazon Personalize event tracker, created by this stack or elsewhere."""

    @property
    def event_tracker_arn(self) -> str:
        """The tracker's ARN."""
        ...

    @property
    def tracking_id(self) -> str:
        """The trackingId that PutEvents calls carry. Whoever holds it can send events."""
        ...

    def grant_put_events(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow `grantee` to send events (personalize:PutEvents)."""
        ...


class _EventTrackerBase(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)

    def grant_put_events(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow `grantee` to send events to this tracker (personalize:PutEvents).

        PutEvents has no resource type in IAM: the trackingId, not the policy, selects the
        tracker, so the statement's resource is `*`.
        """
        return iam.Grant.add_to_principal(grantee=grantee, actions=PUT_EVENTS_ACTIONS, resource_arns=["*"])


# RETAIN_ON_UPDATE_OR_DELETE is missing from older aws-cdk-lib releases.
_RETAINING_POLICIES = [
    policy
    for policy in (RemovalPolicy.RETAIN, getattr(RemovalPolicy, "RETAIN_ON_UPDATE_OR_DELETE", None))
    if policy is not None
]


@jsii.implements(IValidation)
class _CheckTagCounts:
    """Counts each tracker's tags once aspects have run, so tags from ``Tags.of(...)`` count too.

    One validation per stack rather than per tracker (each is a jsii object and a callback at
    synthesis); every problem names its tracker.
    """

    def __init__(self, trackers: list[EventTracker]) -> None:
        self._trackers = trackers

    def validate(self) -> list[str]:
        problems = []
        for tracker in self._trackers:
            if tracker._tags is None:  # never tagged, by its props or by Tags.of
                continue
            problem = rules.check_tag_count(len(tracker._tags.render_tags() or []))
            if problem:
                problems.append(f"EventTracker at '{tracker._path}': {problem}")
        return problems


@jsii.implements(ITaggable)
class EventTracker(_EventTrackerBase):
    """An Amazon Personalize event tracker, ACTIVE once the stack is deployed.

    Backed by a custom resource (``Custom::PersonalizeEventTracker``) served by one Lambda
    function per stack. The trackingId is exported as a stack output.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dataset_group_arn: str,
        event_tracker_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        export_name: str | None = None,
        export_tracking_id: bool | None = None,
        tracking_id_parameter_name: str | None = None,
        removal_policy: RemovalPolicy | None = None,
    ) -> None:
        """
        :param dataset_group_arn: the dataset group that receives the events. A dataset group
            holds one event tracker.
        :param event_tracker_name: the tracker's name, 1-63 letters, digits, '-' and '_'.
            Changing it replaces the tracker (and its trackingId).
            Default: - a name derived from the construct path, unique in the app.
        :param tags: tags for the tracker, beside any applied with ``Tags.of(...)``.
            Default: - no tags of its own.
        :param export_name: the export name of the trackingId output.
            Default: - ``<stack name>-<construct path in the stack>-TrackingId``.
        :param export_tracking_id: whether the trackingId output carries an export. An export
            another stack imports pins the tracker: CloudFormation refuses to change it, so a
            rename or dataset-group change fails. Default: - true.
        :param tracking_id_parameter_name: publish the trackingId in an SSM String parameter of
            this name, which other stacks and apps read (``from_tracking_id_parameter``); it
            follows a replacement. Default: - no parameter.
        :param removal_policy: what happens to the tracker when it leaves the stack.
            RETAIN leaves it in place, and the stack never deletes it: a rename, which would
            have to delete it to make way in its dataset group, fails instead.
            Default: - RemovalPolicy.DESTROY.
        """
        super().__init__(scope, construct_id)
        # Every read of the construct tree is a jsii round trip: each is made once here, and what
        # a stack answers is kept for all of its trackers (docs/design.md, "Synthesis cost").
        stack = _StackFacts.of(scope)
        self._path = f"{stack.path}/{construct_id}" if scope is stack.stack else self.node.path
        name = event_tracker_name if event_tracker_name is not None else _default_name(self)
        export = export_name if export_name is not None else _default_export_name(stack, self._path)
        exported = export_tracking_id is None or export_tracking_id
        problems = [
            problem
            for problem in (
                rules.check_event_tracker_name(name),
                rules.check_dataset_group_arn(dataset_group_arn),
                rules.check_export_name(export) if exported else None,
                rules.check_export_choice(export_name, exported),
                rules.check_parameter_name(tracking_id_parameter_name),
            )
            if problem
        ]
        problems += rules.check_tags(dict(tags or {}))
        problems += _check_dataset_group_is_free(stack.trackers_by_dataset_group, dataset_group_arn)
        rules.raise_if_any(self._path, problems)

        self.dataset_group_arn = dataset_group_arn
        stack.trackers_by_dataset_group[dataset_group_arn] = self
        self._tags: TagManager | None = None
        stack.trackers.append(self)

        provider = stack.provider()
        # The custom resource itself, without the CustomResource wrapper: one construct fewer, and
        # the same logical id (the path Tracker/Resource hashes as Tracker/Resource/Default did).
        # No DeletionPolicy or UpdateReplacePolicy unless the tracker is retained: CloudFormation's
        # default for both is Delete.
        self._resource = CfnResource(
            self,
            "Resource",
            type=RESOURCE_TYPE,
            properties={
                "ServiceToken": provider.service_token,
                PROPERTY_DATASET_GROUP_ARN: dataset_group_arn,
                PROPERTY_NAME: name,
                # Tags join as an override once the tracker has any (_manage_tags).
                # A crashed handler cannot hold the stack for CloudFormation's default hour.
                "ServiceTimeout": str(SERVICE_TIMEOUT_SECONDS),
            },
        )
        if tags:
            self._manage_tags(dict(tags))
        self._retained = False
        if removal_policy is not None and removal_policy != RemovalPolicy.DESTROY:
            self.apply_removal_policy(removal_policy)
        self._event_tracker_name = name
        self._event_tracker_arn: str | None = None
        self._tracking_id = Token.as_string(self._resource.get_att(ATTRIBUTE_TRACKING_ID))
        self._tracking_id_output = CfnOutput(
            self, "TrackingId", value=self._tracking_id, export_name=export if exported else None
        )
        self._tracking_id_parameter: ssm.StringParameter | None = None
        if tracking_id_parameter_name is not None:
            from aws_cdk import aws_ssm as ssm  # imported when used: most apps never publish one

            self._tracking_id_parameter = ssm.StringParameter(
                self,
                "TrackingIdParameter",
                parameter_name=tracking_id_parameter_name,
                string_value=self._tracking_id,
                description=f"trackingId of the Amazon Personalize event tracker {self._path}",
            )

    @property
    def tags(self) -> TagManager:
        """The tracker's tags; ``Tags.of(scope).add(...)`` reaches them too."""
        return self._tags or self._manage_tags({})

    def _manage_tags(self, initial: dict[str, str]) -> TagManager:
        # Made on first use: when neither the props nor Tags.of(...) tag a tracker (Tags.of asks
        # for `tags` while aspects run, before the template is written), it costs no round trip.
        # Rendered into the Tags property when the template is written, absent while empty.
        self._tags = TagManager(TagType.KEY_VALUE, RESOURCE_TYPE, initial or None)
        self._resource.add_property_override(PROPERTY_TAGS, self._tags.rendered_tags)
        return self._tags

    @property
    def event_tracker_arn(self) -> str:
        """The tracker's ARN (the custom resource's Ref)."""
        if self._event_tracker_arn is None:  # asked for on first use: most apps never do
            self._event_tracker_arn = self._resource.ref
        return self._event_tracker_arn

    @property
    def tracking_id(self) -> str:
        """The trackingId that PutEvents calls carry. Whoever holds it can send events."""
        return self._tracking_id

    @property
    def event_tracker_name(self) -> str:
        """The tracker's name."""
        return self._event_tracker_name

    @property
    def tracking_id_output(self) -> CfnOutput:
        """The stack output holding the trackingId, with its export unless turned off."""
        return self._tracking_id_output

    @property
    def tracking_id_parameter(self) -> ssm.IStringParameter | None:
        """The SSM parameter holding the trackingId, if ``tracking_id_parameter_name`` was given."""
        return self._tracking_id_parameter

    def grant_read_tracking_id(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow `grantee` to read the trackingId parameter (ssm:GetParameter and friends)."""
        if self._tracking_id_parameter is None:
            raise EventTrackerPropsError(
                f"EventTracker at '{self.node.path}' publishes no trackingId parameter: "
                "give tracking_id_parameter_name to grant reading it."
            )
        return self._tracking_id_parameter.grant_read(grantee)

    def apply_removal_policy(self, policy: RemovalPolicy) -> None:
        """Set what happens to the tracker when it leaves the stack (RETAIN leaves it in place).

        A retained tracker is never deleted by the stack: a rename that would replace it inside
        its dataset group fails instead (a dataset group holds one tracker). The handler is told
        with the RemovalPolicy property, rendered for a retained tracker only: an absent one
        means Delete, as in templates from before the property.
        """
        self._resource.apply_removal_policy(policy)
        retained = policy in _RETAINING_POLICIES
        if retained:
            self._resource.add_property_override(PROPERTY_REMOVAL_POLICY, REMOVAL_POLICY_RETAIN)
        elif self._retained:
            self._resource.add_property_deletion_override(PROPERTY_REMOVAL_POLICY)
        self._retained = retained

    @staticmethod
    def from_event_tracker_attributes(
        scope: Construct, construct_id: str, *, event_tracker_arn: str, tracking_id: str
    ) -> IEventTracker:
        """Use a tracker managed elsewhere: its attributes and ``grant_put_events``."""
        return _ImportedEventTracker(scope, construct_id, event_tracker_arn=event_tracker_arn, tracking_id=tracking_id)

    @staticmethod
    def from_tracking_id_parameter(
        scope: Construct, construct_id: str, *, parameter_name: str, event_tracker_arn: str | None = None
    ) -> IEventTracker:
        """Use a tracker through the SSM parameter its stack publishes (``tracking_id_parameter_name``).

        The trackingId is read when the consuming stack deploys (a template parameter of type
        ``AWS::SSM::Parameter::Value<String>``), so a replaced tracker is picked up by the next
        deployment, and the producer's stack never depends on the consumer's.
        :param event_tracker_arn: the tracker's ARN, if the consumer needs it.
            Default: - none: ``event_tracker_arn`` raises.
        """
        problem = rules.check_parameter_name(parameter_name)
        rules.raise_if_any(f"{scope.node.path}/{construct_id}", [problem] if problem else [])
        from aws_cdk import aws_ssm as ssm

        tracking_id = ssm.StringParameter.value_for_string_parameter(scope, parameter_name)
        return _ImportedEventTracker(scope, construct_id, event_tracker_arn=event_tracker_arn, tracking_id=tracking_id)


class _ImportedEventTracker(_EventTrackerBase):
    def __init__(self, scope: Construct, construct_id: str, *, event_tracker_arn: str | None, tracking_id: str) -> None:
        super().__init__(scope, construct_id)
        problem = rules.check_event_tracker_arn(event_tracker_arn) if event_tracker_arn is not None else None
        rules.raise_if_any(self.node.path, [problem] if problem else [])
        self._event_tracker_arn = event_tracker_arn
        self._tracking_id = tracking_id

    @property
    def event_tracker_arn(self) -> str:
        if self._event_tracker_arn is None:
            raise EventTrackerPropsError(
                f"EventTracker at '{self.node.path}' was imported from its trackingId parameter without "
                "its ARN: pass event_tracker_arn to from_tracking_id_parameter."
            )
        return self._event_tracker_arn

    @property
    def tracking_id(self) -> str:
        return self._tracking_id


def _default_name(tracker: Construct) -> str:
    return Names.unique_resource_name(
        tracker, max_length=rules.NAME_MAX_LENGTH, separator="-", allowed_special_characters="-_"
    )


_EXPORT_UNSAFE = re.compile(r"[^A-Za-z0-9:-]+")


def _default_export_name(stack: _StackFacts, tracker_path: str) -> str:
    within_stack = tracker_path[len(stack.path) + 1 :]
    name = _EXPORT_UNSAFE.sub("-", f"{stack.name}-{within_stack}-TrackingId")
    if len(name) > rules.EXPORT_NAME_MAX_LENGTH:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = name[: rules.EXPORT_NAME_MAX_LENGTH - 9] + "-" + digest
    return name


def _check_dataset_group_is_free(trackers: Mapping[str, EventTracker], dataset_group_arn: str) -> list[str]:
    # The same string is the same dataset group, literal or token (one attribute's token).
    other = trackers.get(dataset_group_arn)
    if other is None:
        return []
    shown = "(the same token)" if rules.is_unresolved(dataset_group_arn) else repr(dataset_group_arn)
    return [
        f"dataset_group_arn {shown} is already used by the EventTracker at '{other._path}'; "
        "a dataset group holds one event tracker."
    ]


class _StackFacts:
    """What every tracker asks of its stack, read once per stack: its path and name, its
    provider, and the app-wide registry of trackers by dataset group ARN; and the stack's
    trackers, whose tags one validation counts."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.path = stack.node.path
        self.name = stack.stack_name
        self.trackers_by_dataset_group = _TRACKERS_BY_APP.setdefault(stack.node.root, {})
        self.trackers: list[EventTracker] = []
        stack.node.add_validation(_CheckTagCounts(self.trackers))
        self._provider: EventTrackerProvider | None = None

    def provider(self) -> EventTrackerProvider:
        """The stack's provider, created with its first tracker."""
        if self._provider is None:
            self._provider = EventTrackerProvider.of(self.stack)
        return self._provider

    @classmethod
    def of(cls, scope: Construct) -> _StackFacts:
        stack = Stack.of(scope)
        facts = _STACK_FACTS.get(stack)
        if facts is None:
            facts = _STACK_FACTS[stack] = cls(stack)
        return facts


# Each app's EventTrackers by dataset group ARN: one lookup instead of a walk of the whole tree.
_TRACKERS_BY_APP: weakref.WeakKeyDictionary[IConstruct, dict[str, EventTracker]] = weakref.WeakKeyDictionary()
_STACK_FACTS: weakref.WeakKeyDictionary[Stack, _StackFacts] = weakref.WeakKeyDictionary()
