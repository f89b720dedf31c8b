"""The IAM capabilities a template needs, and the refusal of a request that does not grant them.

A template that creates IAM resources needs CAPABILITY_IAM, or CAPABILITY_NAMED_IAM when it
names one of them; GetTemplateSummary and ValidateTemplate tell which, and CreateChangeSet
refuses without it (InsufficientCapabilitiesException), as CloudFormation does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..query import ApiError

# Each IAM type, with the property that names its resource ("" for a type that has none)
IAM_NAMES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::Policy": "",
    "AWS::IAM::AccessKey": "",
}


def capabilities_needed(template: Mapping[str, Any]) -> tuple[list[str], str]:
    """The capabilities the template needs, and CloudFormation's reason naming the resources."""
    needed: set[str] = set()
    causes = []
    for logical_id, resource in template.get("Resources", {}).items():
        resource_type = str(resource.get("Type", ""))
        if resource_type in IAM_NAMES:
            name_property = IAM_NAMES[resource_type]
            named = bool(name_property) and name_property in (resource.get("Properties") or {})
            needed.add("CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM")
            causes.append(logical_id)
    if "CAPABILITY_NAMED_IAM" in needed:
        needed = {"CAPABILITY_NAMED_IAM"}
    reason = f"The following resource(s) require capabilities: [{', '.join(sorted(set(causes)))}]" if causes else ""
    return sorted(needed), reason


def check_capabilities(template: Mapping[str, Any], given: list[str]) -> None:
    """InsufficientCapabilitiesException unless `given` grants what the template needs."""
    needed, _ = capabilities_needed(template)
    if needed == ["CAPABILITY_IAM"] and "CAPABILITY_NAMED_IAM" in given:
        return
    missing = [capability for capability in needed if capability not in given]
    if missing:
        raise ApiError("InsufficientCapabilitiesException", f"Requires capabilities : [{', '.join(missing)}]")
