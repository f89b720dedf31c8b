"""The EventTracker construct: the synthesized contract (docs/design.md, "The resource contract") and the public API."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_personalize as personalize
from aws_cdk.assertions import Annotations, Match

from personalize_event_tracker import EventTracker, IEventTracker

from .helpers import DATASET_GROUP_ARN, OTHER_DATASET_GROUP_ARN, new_stack, only, template_of

# the construct and its synthesis: run again on the oldest supported aws-cdk-lib (`make oldest-suite`)
pytestmark = pytest.mark.release

RESOURCE_TYPE = "Custom::PersonalizeEventTracker"


def test_renders_the_resource_contract():
    # GIVEN a stack with a dataset group
    stack = new_stack()
    group = personalize.CfnDatasetGroup(stack, "Group", name="clicks")
    # WHEN an EventTracker uses it
    EventTracker(stack, "Tracker", dataset_group_arn=group.attr_dataset_group_arn, event_tracker_name="clickstream")
    # THEN the custom resource carries exactly the contract's properties
    template = template_of(stack)
    resource = only(template.find_resources(RESOURCE_TYPE))
    function_id = only_key(template.find_resources("AWS::Lambda::Function"))
    assert resource["Properties"] == {
        "ServiceToken": {"Fn::GetAtt": [function_id, "Arn"]},
        "ServiceTimeout": "960",
        "DatasetGroupArn": {"Fn::GetAtt": ["Group", "DatasetGroupArn"]},
        "Name": "clickstream",
    }
    # CloudFormation's default, Delete, is left unsaid
    assert "DeletionPolicy" not in resource and "UpdateReplacePolicy" not in resource


def only_key(resources):
    assert len(resources) == 1, resources
    return next(iter(resources))


def test_service_timeout_is_a_little_above_the_function_timeout():
    stack = new_stack()
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    template = template_of(stack)
    timeout = only(template.find_resources("AWS::Lambda::Function"))["Properties"]["Timeout"]
    service_timeout = int(only(template.find_resources(RESOURCE_TYPE))["Properties"]["ServiceTimeout"])
    assert timeout < service_timeout <= timeout + 120


def test_attributes_are_ref_and_getatt():
    stack = new_stack()
    tracker = EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, event_tracker_name="clicks")
    logical_id = stack.resolve(tracker.event_tracker_arn)["Ref"]
    assert only_key(template_of(stack).find_resources(RESOURCE_TYPE)) == logical_id
    assert stack.resolve(tracker.tracking_id) == {"Fn::GetAtt": [logical_id, "TrackingId"]}
    assert tracker.event_tracker_name == "clicks"
    assert isinstance(tracker, IEventTracker)


def test_default_name_is_derived_from_the_path_valid_and_unique():
    stack = new_stack("A" * 120)
    first = EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    second = EventTracker(cdk.Resource(stack, "Scope"), "Tracker", dataset_group_arn=OTHER_DATASET_GROUP_ARN)
    names = [first.event_tracker_name, second.event_tracker_name]
    assert names[0] != names[1]
    for name in names:
        assert 1 <= len(name) <= 63
        assert name[0].isalnum() and all(c.isalnum() or c in "-_" for c in name)
    rendered = [r["Properties"]["Name"] for r in template_of(stack).find_resources(RESOURCE_TYPE).values()]
    assert sorted(rendered) == sorted(names)


def test_one_provider_function_serves_three_trackers():
    stack = new_stack()
    arns = [f"arn:aws:personalize:us-east-1:123456789012:dataset-group/g{i}" for i in range(3)]
    for i, arn in enumerate(arns):
        EventTracker(stack, f"Tracker{i}", dataset_group_arn=arn)
    template = template_of(stack)
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.resource_count_is("AWS::IAM::Role", 1)
    template.resource_count_is("AWS::Logs::LogGroup", 1)
    template.resource_count_is(RESOURCE_TYPE, 3)
    function_id = only_key(template.find_resources("AWS::Lambda::Function"))
    tokens = {str(r["Properties"]["ServiceToken"]) for r in template.find_resources(RESOURCE_TYPE).values()}
    assert tokens == {str({"Fn::GetAtt": [function_id, "Arn"]})}


def test_provider_function_runtime_and_logging():
    stack = new_stack()
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    template = template_of(stack)
    log_group_id = only_key(template.find_resources("AWS::Logs::LogGroup"))
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "event_tracker.index.handler",
            "Runtime": Match.string_like_regexp(r"^python3\.\d+$"),
            "Architectures": ["arm64"],
            "LoggingConfig": {"LogGroup": {"Ref": log_group_id}},
        },
    )
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})
    role = only(template.find_resources("AWS::IAM::Role"))
    assert "ManagedPolicyArns" not in role["Properties"]


def tracker_arns(resource="event-tracker"):
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":personalize:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":{resource}/*",
            ],
        ]
    }


def test_the_function_records_its_asset_as_cdks_function_does(tmp_path):
    # GIVEN an app asked for asset metadata, as the CDK CLI asks (SAM and other local tools read it)
    outdir, reference_code = tmp_path / "cdk.out", tmp_path / "reference"
    reference_code.mkdir()
    (reference_code / "index.py").write_text("def handler(event, context): pass\n")
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:enable-asset-metadata": True})
    stack = cdk.Stack(app, "Shop")
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    # a Function of aws_lambda's own, its code staged the same way, for comparison
    lambda_.Function(
        stack,
        "Reference",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_asset(str(reference_code)),
    )
    resources = app.synth().get_stack_by_name("Shop").template["Resources"]
    functions = {key: r for key, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    (ours,) = [r for key, r in functions.items() if key.startswith("PersonalizeEventTrackerProviderFunction")]
    (reference,) = [r for key, r in functions.items() if key.startswith("Reference")]
    # THEN its metadata has the same keys, and the path names the staged handler in the assembly
    metadata = ours["Metadata"]
    assert set(metadata) - {"aws:cdk:path"} == set(reference["Metadata"]) - {"aws:cdk:path"}
    assert (metadata["aws:asset:property"], metadata["aws:asset:is-bundled"]) == ("Code", False)
    assert (outdir / metadata["aws:asset:path"] / "event_tracker" / "index.py").is_file()
    assert ours["Properties"]["Code"]["S3Key"] == metadata["aws:asset:path"].removeprefix("asset.") + ".zip"


def test_provider_role_is_least_privilege_exactly():
    # GIVEN two trackers on two dataset groups
    stack = new_stack()
    EventTracker(stack, "One", dataset_group_arn=DATASET_GROUP_ARN)
    EventTracker(stack, "Two", dataset_group_arn=OTHER_DATASET_GROUP_ARN)
    template = template_of(stack)
    # THEN the role's statements are exactly these
    log_group_id = only_key(template.find_resources("AWS::Logs::LogGroup"))
    policy = only(template.find_resources("AWS::IAM::Policy"))
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "personalize:CreateEventTracker",
            "Effect": "Allow",
            # the dataset groups of the stack's account and region: the same for one tracker or many
            "Resource": [tracker_arns("dataset-group"), tracker_arns()],
        },
        {
            "Action": [
                "personalize:DescribeEventTracker",
                "personalize:DeleteEventTracker",
                "personalize:ListTagsForResource",
                "personalize:TagResource",
                "personalize:UntagResource",
            ],
            "Effect": "Allow",
            "Resource": tracker_arns(),
        },
        {"Action": "personalize:ListEventTrackers", "Effect": "Allow", "Resource": "*"},
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        },
    ]
    # AND no wildcard action, and `*` only for the action without a resource type
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions)
        if statement["Resource"] == "*":
            assert actions == ["personalize:ListEventTrackers"]


def test_the_provider_policy_does_not_grow_with_the_trackers():
    # GIVEN a stack with one tracker, and one with twenty on dataset groups of its own
    def policy(trackers):
        stack = new_stack()
        for index in range(trackers):
            group = personalize.CfnDatasetGroup(stack, f"Group{index}", name=f"clicks-{index}")
            EventTracker(stack, f"Tracker{index}", dataset_group_arn=group.attr_dataset_group_arn)
        return only(template_of(stack).find_resources("AWS::IAM::Policy"))["Properties"]["PolicyDocument"]

    # THEN the provider's policy is the same: adding a tracker never waits on an IAM change
    assert policy(20) == policy(1)


def test_custom_resource_waits_for_the_role_policy():
    # The function, whose ARN is the ServiceToken, depends on the policy: CloudFormation cannot
    # invoke it before its permissions exist.
    stack = new_stack()
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    template = template_of(stack)
    policy_id = only_key(template.find_resources("AWS::IAM::Policy"))
    function = only(template.find_resources("AWS::Lambda::Function"))
    assert policy_id in function["DependsOn"]


def test_tracking_id_output_with_default_export():
    stack = new_stack("Shop")
    tracker = EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    outputs = template_of(stack).find_outputs("*")
    output = only(outputs)
    assert output["Value"] == stack.resolve(tracker.tracking_id)
    assert output["Export"] == {"Name": "Shop-Tracker-TrackingId"}
    assert stack.resolve(tracker.tracking_id_output.value) == output["Value"]


def test_default_export_name_is_sanitized_and_unique_within_the_stack():
    stack = new_stack("Shop")
    EventTracker(cdk.Resource(stack, "Web_Front"), "Tracker one", dataset_group_arn=DATASET_GROUP_ARN)
    EventTracker(cdk.Resource(stack, "App"), "Tracker one", dataset_group_arn=OTHER_DATASET_GROUP_ARN)
    exports = sorted(o["Export"]["Name"] for o in template_of(stack).find_outputs("*").values())
    assert exports == ["Shop-App-Tracker-one-TrackingId", "Shop-Web-Front-Tracker-one-TrackingId"]


def test_explicit_export_name():
    stack = new_stack()
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, export_name="clicks:tracking-id")
    assert only(template_of(stack).find_outputs("*"))["Export"] == {"Name": "clicks:tracking-id"}


def test_tags_from_props_and_from_tags_of():
    # GIVEN a tracker with a tag of its own
    stack = new_stack()
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, tags={"team": "growth"})
    # WHEN tags are applied to the whole stack
    cdk.Tags.of(stack).add("env", "prod")
    # THEN both reach the Tags property
    resource = only(template_of(stack).find_resources(RESOURCE_TYPE))
    assert resource["Properties"]["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "growth"}]


def test_tags_of_can_remove_a_tag():
    stack = new_stack()
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, tags={"team": "growth"})
    cdk.Tags.of(stack).remove("team")
    assert "Tags" not in only(template_of(stack).find_resources(RESOURCE_TYPE))["Properties"]


def test_a_tag_change_leaves_name_and_dataset_group_unchanged():
    # A tag-only change must be an in-place update: nothing but Tags differs.
    def properties(tag_value):
        stack = new_stack()
        EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, tags={"team": tag_value})
        return only(template_of(stack).find_resources(RESOURCE_TYPE))["Properties"]

    before, after = properties("growth"), properties("search")
    assert {k: v for k, v in before.items() if k != "Tags"} == {k: v for k, v in after.items() if k != "Tags"}
    assert before["Tags"] != after["Tags"]


@pytest.mark.parametrize(
    ("removal_policy", "expected"),
    # None: CloudFormation's default, which is Delete
    [(None, None), (cdk.RemovalPolicy.DESTROY, None), (cdk.RemovalPolicy.RETAIN, "Retain")],
)
def test_removal_policy(removal_policy, expected):
    stack = new_stack()
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, removal_policy=removal_policy)
    resource = only(template_of(stack).find_resources(RESOURCE_TYPE))
    assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == (expected, expected)
    # the handler is told too (it never deletes a retained tracker to make way); absent means Delete
    assert resource["Properties"].get("RemovalPolicy") == expected


def test_apply_removal_policy_after_construction():
    stack = new_stack()
    tracker = EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    tracker.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    resource = only(template_of(stack).find_resources(RESOURCE_TYPE))
    assert (resource["DeletionPolicy"], resource["Properties"]["RemovalPolicy"]) == ("Retain", "Retain")


def test_a_retained_tracker_set_back_to_destroy_is_deleted_again():
    stack = new_stack()
    tracker = EventTracker(
        stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, removal_policy=cdk.RemovalPolicy.RETAIN
    )
    tracker.apply_removal_policy(cdk.RemovalPolicy.DESTROY)
    resource = only(template_of(stack).find_resources(RESOURCE_TYPE))
    assert resource["DeletionPolicy"] == "Delete" and "RemovalPolicy" not in resource["Properties"]


def put_events_statements(stack):
    policies = template_of(stack).find_resources("AWS::IAM::Policy")
    return [
        statement
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "personalize:PutEvents"
    ]


def test_grant_put_events_to_a_function():
    stack = new_stack()
    tracker = EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    ingest = lambda_.Function(
        stack,
        "Ingest",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(e, c): pass"),
    )
    grant = tracker.grant_put_events(ingest)
    assert grant.success
    # PutEvents has no IAM resource type: the statement's resource is `*`, and nothing else is granted.
    assert put_events_statements(stack) == [{"Action": "personalize:PutEvents", "Effect": "Allow", "Resource": "*"}]


def test_from_event_tracker_attributes():
    stack = new_stack()
    arn = "arn:aws:personalize:us-east-1:123456789012:event-tracker/d2e0162e"
    imported = EventTracker.from_event_tracker_attributes(stack, "Imported", event_tracker_arn=arn, tracking_id="abc")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    imported.grant_put_events(role)
    assert isinstance(imported, IEventTracker)
    assert (imported.event_tracker_arn, imported.tracking_id) == (arn, "abc")
    assert put_events_statements(stack) == [{"Action": "personalize:PutEvents", "Effect": "Allow", "Resource": "*"}]
    # an import creates nothing: no provider, no custom resource
    template_of(stack).resource_count_is(RESOURCE_TYPE, 0)
    template_of(stack).resource_count_is("AWS::Lambda::Function", 0)


def test_trackers_in_two_stacks_get_a_provider_each():
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stacks = [cdk.Stack(app, name) for name in ("One", "Two")]
    for stack, arn in zip(stacks, (DATASET_GROUP_ARN, OTHER_DATASET_GROUP_ARN), strict=False):
        EventTracker(stack, "Tracker", dataset_group_arn=arn)
    for stack in stacks:
        template_of(stack).resource_count_is("AWS::Lambda::Function", 1)


def test_adds_no_warning_and_no_error_to_the_app():
    # GIVEN the usual uses: a tracker with tags, Tags.of, a grant, a removal policy, a second tracker
    stack = new_stack()
    group = personalize.CfnDatasetGroup(stack, "Group", name="clicks")
    tracker = EventTracker(stack, "Tracker", dataset_group_arn=group.attr_dataset_group_arn, tags={"team": "growth"})
    EventTracker(stack, "Other", dataset_group_arn=OTHER_DATASET_GROUP_ARN, removal_policy=cdk.RemovalPolicy.RETAIN)
    cdk.Tags.of(stack).add("cost-center", "42")
    tracker.grant_put_events(iam.Role(stack, "Sender", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")))
    # THEN `cdk synth --strict` and a team's own Annotations assertions pass
    annotations = Annotations.from_stack(stack)
    annotations.has_no_warning("*", Match.any_value())
    annotations.has_no_error("*", Match.any_value())
    # AND ServiceTimeout still renders, a minute above the function's 15 minutes
    for resource in template_of(stack).find_resources(RESOURCE_TYPE).values():
        assert resource["Properties"]["ServiceTimeout"] == "960"
