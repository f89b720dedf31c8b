"""IMPORT change sets, as `cdk import` drives them, through boto3 at an in-process endpoint:
resources made outside any stack are adopted (nothing is created), shown as `Import` changes,
and refused in CloudFormation's words when they cannot be."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localcloud.endpoint import Endpoint

from .stacks import HANG_GUARD_SECONDS, error_of, events, settled, unique

IMPORT_REASON = (
    "Verify that resources and their properties defined in the template match the intended "
    "configuration of the resource import to avoid unexpected changes."
)
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    with Endpoint() as running:
        yield running


@pytest.fixture(scope="module")
def cfn(endpoint: Endpoint) -> Any:
    return endpoint.client("cloudformation", attempts=1)


def parameter(name: str, value: str, **attributes: Any) -> dict[str, Any]:
    return {"Type": "AWS::SSM::Parameter", "Properties": {"Name": name, "Type": "String", "Value": value}, **attributes}


def log_group(name: str, **attributes: Any) -> dict[str, Any]:
    return {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": name}, **attributes}


def import_change_set(cfn: Any, stack: str, template: dict[str, Any], imports: list[dict[str, Any]]) -> dict[str, Any]:
    created = cfn.create_change_set(
        StackName=stack,
        ChangeSetName=unique("import-"),
        ChangeSetType="IMPORT",
        TemplateBody=json.dumps(template),
        ResourcesToImport=imports,
        Capabilities=CAPABILITIES,
    )
    return dict(cfn.describe_change_set(ChangeSetName=created["Id"]))


@pytest.fixture
def stack(endpoint: Endpoint, cfn: Any) -> tuple[str, dict[str, Any]]:
    """A stack with one parameter of its own, and its template."""
    name = unique("Adopting")
    template = {
        "Resources": {"Own": parameter(f"/own/{name}", "mine")},
        "Outputs": {"OwnName": {"Value": {"Ref": "Own"}}},
    }
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    assert settled(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    return name, template


@pytest.fixture
def outside(endpoint: Endpoint) -> tuple[str, str]:
    """An SSM parameter and a log group made outside any stack."""
    name, group = f"/outside/{unique('p')}", f"/outside/{unique('g')}"
    endpoint.client("ssm").put_parameter(Name=name, Value="made-by-hand", Type="String")
    endpoint.client("logs").create_log_group(logGroupName=group)
    return name, group


def test_an_import_adopts_a_parameter_and_a_log_group_made_outside_any_stack(endpoint, cfn, stack, outside):
    stack_name, template = stack
    name, group = outside
    template["Resources"]["Adopted"] = parameter(name, "made-by-hand", DeletionPolicy="Retain")
    template["Resources"]["Logs"] = log_group(group, DeletionPolicy="Delete")
    change_set = import_change_set(
        cfn,
        stack_name,
        template,
        [
            {
                "ResourceType": "AWS::SSM::Parameter",
                "LogicalResourceId": "Adopted",
                "ResourceIdentifier": {"Name": name},
            },
            {
                "ResourceType": "AWS::Logs::LogGroup",
                "LogicalResourceId": "Logs",
                "ResourceIdentifier": {"LogGroupName": group},
            },
        ],
    )
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert change_set["StatusReason"] == IMPORT_REASON
    assert [
        (
            c["ResourceChange"]["Action"],
            c["ResourceChange"]["LogicalResourceId"],
            c["ResourceChange"]["PhysicalResourceId"],
        )
        for c in change_set["Changes"]
    ] == [("Import", "Adopted", name), ("Import", "Logs", group)]

    cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"])
    imported = settled(cfn, stack_name)
    assert imported["StackStatus"] == "IMPORT_COMPLETE"
    happened = events(cfn, stack_name)
    assert [e["ResourceStatus"] for e in happened if e["ResourceType"] == "AWS::CloudFormation::Stack"][-2:] == [
        "IMPORT_IN_PROGRESS",
        "IMPORT_COMPLETE",
    ]
    for logical_id, physical_id in (("Adopted", name), ("Logs", group)):
        assert [
            (e["ResourceStatus"], e["PhysicalResourceId"]) for e in happened if e["LogicalResourceId"] == logical_id
        ] == [
            ("IMPORT_IN_PROGRESS", ""),
            ("IMPORT_COMPLETE", physical_id),
        ]
    resources = {
        r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    }
    assert {k: (r["PhysicalResourceId"], r["ResourceStatus"]) for k, r in resources.items()} == {
        "Own": (f"/own/{stack_name}", "CREATE_COMPLETE"),
        "Adopted": (name, "IMPORT_COMPLETE"),
        "Logs": (group, "IMPORT_COMPLETE"),
    }
    # nothing was made or written: the parameter is still the one made by hand, at its first version
    assert endpoint.client("ssm").get_parameter(Name=name)["Parameter"]["Version"] == 1

    # what the import read is the stack's now: Ref and GetAtt of the adopted resources
    template["Outputs"]["Adopted"] = {"Value": {"Ref": "Adopted"}}
    template["Outputs"]["LogsArn"] = {"Value": {"Fn::GetAtt": ["Logs", "Arn"]}}
    cfn.update_stack(StackName=stack_name, TemplateBody=json.dumps(template))
    outputs = {o["OutputKey"]: o["OutputValue"] for o in settled(cfn, stack_name)["Outputs"]}
    assert outputs["Adopted"] == name
    assert outputs["LogsArn"] == f"arn:aws:logs:us-east-1:123456789012:log-group:{group}:*"

    # deleted with the stack: the retained parameter stays, the log group goes
    cfn.delete_stack(StackName=stack_name)
    assert settled(cfn, imported["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert endpoint.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "made-by-hand"
    assert not endpoint.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    skipped = [
        e["LogicalResourceId"] for e in events(cfn, imported["StackId"]) if e["ResourceStatus"] == "DELETE_SKIPPED"
    ]
    assert skipped == ["Adopted"]


def test_an_import_can_create_the_stack(endpoint, cfn, outside):
    stack_name, (name, _) = unique("Imported"), outside
    personalize = endpoint.client("personalize")
    group = personalize.create_dataset_group(name=unique("adopted-"))["datasetGroupArn"]
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] != "ACTIVE":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    template = {
        "Resources": {
            "Group": {
                "Type": "AWS::Personalize::DatasetGroup",
                "DeletionPolicy": "Retain",
                "Properties": {"Name": "whatever-it-is-called"},
            },
            "Adopted": parameter(name, "made-by-hand", DeletionPolicy="RetainExceptOnCreate"),
        }
    }
    change_set = import_change_set(
        cfn,
        stack_name,
        template,
        [
            {
                "ResourceType": "AWS::Personalize::DatasetGroup",
                "LogicalResourceId": "Group",
                "ResourceIdentifier": {"DatasetGroupArn": group},
            },
            {
                "ResourceType": "AWS::SSM::Parameter",
                "LogicalResourceId": "Adopted",
                "ResourceIdentifier": {"Name": name},
            },
        ],
    )
    assert change_set["Status"] == "CREATE_COMPLETE"
    assert cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"])
    assert settled(cfn, stack_name)["StackStatus"] == "IMPORT_COMPLETE"
    assert [
        e["ResourceStatus"] for e in events(cfn, stack_name) if e["ResourceType"] == "AWS::CloudFormation::Stack"
    ] == [
        "REVIEW_IN_PROGRESS",
        "IMPORT_IN_PROGRESS",
        "IMPORT_COMPLETE",
    ]
    resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    assert {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources} == {"Group": group, "Adopted": name}

    # both retained on delete (RetainExceptOnCreate: the stack did not create it)
    cfn.delete_stack(StackName=stack_name)
    assert settled(cfn, change_set["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE"
    assert endpoint.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "made-by-hand"


def test_imports_cloudformation_refuses(endpoint, cfn, stack, outside):
    stack_name, template = stack
    name, _ = outside
    to_import = {
        "ResourceType": "AWS::SSM::Parameter",
        "LogicalResourceId": "Adopted",
        "ResourceIdentifier": {"Name": name},
    }

    def refusal(changed: dict[str, Any], imports: list[dict[str, Any]]) -> str:
        refused = error_of(lambda: import_change_set(cfn, stack_name, changed, imports))
        assert refused["Code"] == "ValidationError"
        return str(refused["Message"])

    def adding(**resources: Any) -> dict[str, Any]:
        return {**template, "Resources": {**template["Resources"], **resources}}

    # no DeletionPolicy
    assert refusal(adding(Adopted=parameter(name, "made-by-hand")), [to_import]) == (
        "The following resources to import [Adopted] must have DeletionPolicy attribute specified in the template."
    )
    # another change in the same change set: a resource added, one modified
    extra = adding(Adopted=parameter(name, "made-by-hand", DeletionPolicy="Retain"), New=parameter("/new/one", "x"))
    assert refusal(extra, [to_import]) == (
        "You have modified resources [New] in your template that are not being imported. Update, create or "
        "delete operations cannot be executed during import operations."
    )
    modified = adding(Adopted=parameter(name, "made-by-hand", DeletionPolicy="Retain"))
    modified["Resources"]["Own"] = parameter(f"/own/{stack_name}", "changed")
    assert "You have modified resources [Own]" in refusal(modified, [to_import])
    with_output = adding(Adopted=parameter(name, "made-by-hand", DeletionPolicy="Retain"))
    with_output["Outputs"] = {**template["Outputs"], "More": {"Value": "x"}}
    assert refusal(with_output, [to_import]) == "As part of the import operation, you cannot modify or add [Outputs]"
    # a type no one can import
    function = {"Type": "AWS::Lambda::Function", "DeletionPolicy": "Retain", "Properties": {"FunctionName": "f"}}
    assert refusal(
        adding(Fn=function),
        [
            {
                "ResourceType": "AWS::Lambda::Function",
                "LogicalResourceId": "Fn",
                "ResourceIdentifier": {"FunctionName": "f"},
            }
        ],
    ) == ("The following resource types are not supported for resource import: AWS::Lambda::Function")
    # a resource the stack holds already
    assert refusal(
        template,
        [
            {
                "ResourceType": "AWS::SSM::Parameter",
                "LogicalResourceId": "Own",
                "ResourceIdentifier": {"Name": f"/own/{stack_name}"},
            }
        ],
    ) == ("Resources [Own] passed in ResourceToImport are already in a stack and cannot be imported.")
    # an identifier that is not the type's, or that the template contradicts
    wrong_key = {**to_import, "ResourceIdentifier": {"ParameterName": name}}
    assert "Invalid ResourceIdentifier for resource [Adopted]" in refusal(
        adding(Adopted=parameter(name, "made-by-hand", DeletionPolicy="Retain")), [wrong_key]
    )
    assert "is not the identifier to import" in refusal(
        adding(Adopted=parameter("/some/other/name", "made-by-hand", DeletionPolicy="Retain")), [to_import]
    )
    # and the stack is as it was: no change set, no event since its creation
    assert cfn.list_change_sets(StackName=stack_name)["Summaries"] == []
    assert settled(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"


def test_a_resource_that_does_not_exist_fails_the_change_set(cfn, stack):
    stack_name, template = stack
    template["Resources"]["Ghost"] = log_group("/not/there", DeletionPolicy="Retain")
    change_set = import_change_set(
        cfn,
        stack_name,
        template,
        [
            {
                "ResourceType": "AWS::Logs::LogGroup",
                "LogicalResourceId": "Ghost",
                "ResourceIdentifier": {"LogGroupName": "/not/there"},
            }
        ],
    )
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert change_set["StatusReason"] == (
        "Resource import failed: [Ghost] Resource of type 'AWS::Logs::LogGroup' with identifier '/not/there' "
        "was not found."
    )
    refused = error_of(lambda: cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"]))
    assert refused["Code"] == "InvalidChangeSetStatus"


def test_an_import_whose_resource_is_gone_by_then_rolls_back_and_deletes_nothing(endpoint, cfn, stack, outside):
    stack_name, template = stack
    name, group = outside
    template["Resources"]["Adopted"] = parameter(name, "made-by-hand", DeletionPolicy="Delete")
    template["Resources"]["Logs"] = log_group(group, DeletionPolicy="Retain")
    change_set = import_change_set(
        cfn,
        stack_name,
        template,
        [
            {
                "ResourceType": "AWS::SSM::Parameter",
                "LogicalResourceId": "Adopted",
                "ResourceIdentifier": {"Name": name},
            },
            {
                "ResourceType": "AWS::Logs::LogGroup",
                "LogicalResourceId": "Logs",
                "ResourceIdentifier": {"LogGroupName": group},
            },
        ],
    )
    assert change_set["Status"] == "CREATE_COMPLETE"
    endpoint.client("logs").delete_log_group(logGroupName=group)  # gone before the change set runs

    cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"])
    rolled_back = settled(cfn, stack_name)
    assert rolled_back["StackStatus"] == "IMPORT_ROLLBACK_COMPLETE"
    statuses = [
        e["ResourceStatus"] for e in events(cfn, stack_name) if e["ResourceType"] == "AWS::CloudFormation::Stack"
    ]
    assert statuses[-3:] == ["IMPORT_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS", "IMPORT_ROLLBACK_COMPLETE"]
    failed = [e for e in events(cfn, stack_name) if e["ResourceStatus"] == "IMPORT_FAILED"]
    assert [(e["LogicalResourceId"], e["ResourceStatusReason"]) for e in failed] == [
        ("Logs", f"Resource of type 'AWS::Logs::LogGroup' with identifier '{group}' was not found.")
    ]
    # the stack is as it was, and the parameter it had adopted for a moment is still there
    resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    assert [r["LogicalResourceId"] for r in resources if r["ResourceStatus"] != "IMPORT_FAILED"] == ["Own"]
    assert "Adopted" not in cfn.get_template(StackName=stack_name)["TemplateBody"]["Resources"]
    assert endpoint.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "made-by-hand"


def test_the_template_summary_names_the_identifiers_cdk_import_asks_for(cfn):
    template = {
        "Resources": {
            "A": parameter("/a", "x"),
            "B": parameter("/b", "x"),
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        }
    }
    summaries = cfn.get_template_summary(TemplateBody=json.dumps(template))["ResourceIdentifierSummaries"]
    assert sorted((s["ResourceType"], s["LogicalResourceIds"], s["ResourceIdentifiers"]) for s in summaries) == [
        ("AWS::S3::Bucket", ["Bucket"], ["BucketName"]),
        ("AWS::SSM::Parameter", ["A", "B"], ["Name"]),
    ]


def active(read: Callable[[], str]) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while read() != "ACTIVE":
        assert time.monotonic() < deadline, "not ACTIVE"
        time.sleep(0.05)


def test_the_native_event_tracker_is_adopted_with_its_tracking_id(endpoint, cfn):
    # the README's move to the native type: the tracker is kept (RETAIN), removed from the custom
    # resource's stack, then imported as AWS::Personalize::EventTracker: the same trackingId
    personalize = endpoint.client("personalize")
    group = personalize.create_dataset_group(name=unique("group-"))["datasetGroupArn"]
    active(lambda: personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"])
    created = personalize.create_event_tracker(name=unique("tracker-"), datasetGroupArn=group)
    arn = created["eventTrackerArn"]
    active(lambda: personalize.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]["status"])
    stack_name = unique("Native")
    template = {
        "Resources": {
            "Tracker": {
                "Type": "AWS::Personalize::EventTracker",
                "DeletionPolicy": "Retain",
                "Properties": {
                    "Name": personalize.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]["name"],
                    "DatasetGroupArn": group,
                },
            }
        },
    }
    change_set = import_change_set(
        cfn,
        stack_name,
        template,
        [
            {
                "ResourceType": "AWS::Personalize::EventTracker",
                "LogicalResourceId": "Tracker",
                "ResourceIdentifier": {"EventTrackerArn": arn},
            }
        ],
    )
    assert [
        (c["ResourceChange"]["Action"], c["ResourceChange"]["PhysicalResourceId"]) for c in change_set["Changes"]
    ] == [("Import", arn)]
    cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"])
    described = settled(cfn, stack_name)
    assert described["StackStatus"] == "IMPORT_COMPLETE"
    # (an import may add no outputs; a later update would read GetAtt TrackingId from this)
    adopted = endpoint.cloudformation.engine.stacks[stack_name]["resources"]["Tracker"]
    assert adopted["attributes"] == {"EventTrackerArn": arn, "TrackingId": created["trackingId"]}
    # nothing was created: the group still holds the one tracker
    assert [t["eventTrackerArn"] for t in personalize.list_event_trackers(datasetGroupArn=group)["eventTrackers"]] == [
        arn
    ]
