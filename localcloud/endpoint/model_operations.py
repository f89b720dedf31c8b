"""moto's CloudFormation models run where moto runs: the endpoint's `localcloud-models` service.

The stack engine's `MotoModel` types (`cloudformation/resources/moto_models.py`) send each
create, update or delete here as a JSON request (`X-Amz-Target: LocalCloudModels.<Operation>`):
`MotoServices` runs it under its write lock and journals it like any write, so a restart replays
it, with the same random seed, and the resource comes back with the same ids.

    CreateResource {Type, Name, LogicalResourceId, StackName, Properties, Attributes, OptionalAttributes}
    UpdateResource {... and PhysicalResourceId}           -> {PhysicalResourceId, Attributes}
    DeleteResource {Type, PhysicalResourceId, Properties} -> {}

Ref is the model's `physical_resource_id`; each attribute asked for is `get_cfn_attribute(name)`
(`Attributes`: the template reads them, so one moto lacks fails the resource; `OptionalAttributes`:
the registry's read-only properties, kept when moto has them, for a later template that reads
them). A refusal answers 400 with moto's code and words, as CloudFormation shows a handler's.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from moto.core.common_models import CloudFormationModel

from ..cloudformation.resources.moto_models import (
    MODEL_TARGET,
    implemented,
    instance_delete,
    moto_model,
    subclasses,
)
from ..local_env import ACCOUNT
from .http import AwsRequest, HttpResponse

LOG = logging.getLogger("localcloud.endpoint")

# How moto's services say "no such resource": a delete of what is gone has nothing left to do.
NOT_FOUND = ("NotFound", "NonExistent", "NoSuch", "DoesNotExist")


class ModelRefused(Exception):
    """moto refused the operation, in its service's words."""

    def __init__(self, code: str, message: str, physical_id: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.physical_id = physical_id  # of a resource made before the refusal


def run_model_operation(request: AwsRequest) -> HttpResponse:
    """One model operation, answered as JSON."""
    operation = request.headers.get("x-amz-target", "").removeprefix(f"{MODEL_TARGET}.")
    try:
        payload = json.loads(request.body or b"{}")
        model = moto_model(str(payload.get("Type")))
        if model is None:
            raise ModelRefused("ValidationError", f"moto has no CloudFormation model of {payload.get('Type')}")
        if operation == "CreateResource":
            answer = _create(model, payload, request.region)
        elif operation == "UpdateResource":
            answer = _update(model, payload, request.region)
        elif operation == "DeleteResource":
            answer = _delete(model, payload, request.region)
        else:
            raise ModelRefused("UnknownOperationException", f"{MODEL_TARGET} has no operation {operation}")
    except ModelRefused as refused:
        body = {"__type": refused.code, "message": str(refused)}
        return _answer(400, {**body, "PhysicalResourceId": refused.physical_id} if refused.physical_id else body)
    except ValueError:
        return _answer(400, {"__type": "SerializationException", "message": "the body is not JSON"})
    return _answer(200, answer)


def _answer(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, json.dumps(body, default=str).encode(), {"Content-Type": "application/x-amz-json-1.1"})


def _template_json(model: type[CloudFormationModel], payload: dict[str, Any]) -> dict[str, Any]:
    """The resource as moto's models read it; a copy, since some change what they are given."""
    return {"Type": model.cloudformation_type(), "Properties": copy.deepcopy(payload.get("Properties") or {})}


def _create(model: type[CloudFormationModel], payload: dict[str, Any], region: str) -> dict[str, Any]:
    resource_json = _template_json(model, payload)
    logical_id = str(payload.get("LogicalResourceId", ""))
    resource = _moto(
        logical_id,
        lambda: model.create_from_cloudformation_json(
            str(payload["Name"]),
            resource_json,
            ACCOUNT,
            region,
            LogicalId=logical_id,
            StackId=str(payload.get("StackName", "")),
            ResourceType=resource_json["Type"],
        ),
    )
    return _described(resource, payload)


def _update(model: type[CloudFormationModel], payload: dict[str, Any], region: str) -> dict[str, Any]:
    physical_id = str(payload["PhysicalResourceId"])
    original = _find(model, physical_id)
    if original is None:
        kind = model.cloudformation_type()
        raise ModelRefused("NotFound", f"Resource of type '{kind}' with identifier '{physical_id}' was not found.")
    resource = _moto(
        str(payload.get("LogicalResourceId", "")),
        lambda: model.update_from_cloudformation_json(
            original_resource=original,
            new_resource_name=str(payload["Name"]),
            cloudformation_json=_template_json(model, payload),
            account_id=ACCOUNT,
            region_name=region,
        ),
    )
    return _described(resource, payload)


def _delete(model: type[CloudFormationModel], payload: dict[str, Any], region: str) -> dict[str, Any]:
    """As moto's own CloudFormation deletes: the resource's own `delete`, else the model's classmethod."""
    physical_id = str(payload["PhysicalResourceId"])
    found = _find(model, physical_id)
    logical_id = str(payload.get("LogicalResourceId", ""))
    try:
        if found is not None and instance_delete(type(found)) is not None:
            _moto(logical_id, lambda: found.delete(ACCOUNT, region))
        elif implemented(model, "delete_from_cloudformation_json"):
            resource_json = _template_json(model, payload)
            delete = model.delete_from_cloudformation_json
            _moto(logical_id, lambda: delete(physical_id, resource_json, ACCOUNT, region))
    except ModelRefused as refused:
        if not any(word in refused.code for word in NOT_FOUND):
            raise
        LOG.info("%s %s was gone already", model.cloudformation_type(), physical_id)
    return {}


def _find(model: type[CloudFormationModel], physical_id: str) -> Any:
    """The newest instance of the model (or of a subclass) whose physical id this is; None if none."""
    for cls in (model, *subclasses(model)):
        for instance in reversed(getattr(cls, "instances_tracked", [])):
            try:
                if instance.physical_resource_id == physical_id:
                    return instance
            except Exception:  # noqa: S112 (an instance half made by a failed create: not the one)
                continue
    return None


def _moto(logical_id: str, call: Any) -> Any:
    """`call()`, with what moto raises turned into a refusal in CloudFormation's words."""
    try:
        return call()
    except KeyError as error:  # a property moto needs is missing
        message = (
            f"Properties validation failed for resource {logical_id} with message: "
            f"#: required key [{error.args[0]}] not found"
        )
        raise ModelRefused("ValidationError", message) from None
    except Exception as error:
        code = str(getattr(error, "error_type", "") or getattr(error, "code", "") or type(error).__name__)
        message = str(getattr(error, "message", "") or error)
        raise ModelRefused(code, message) from None


def _described(resource: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """The resource's physical id and the attributes asked for."""
    attributes: dict[str, Any] = {}
    physical_id = str(resource.physical_resource_id)
    for name in payload.get("Attributes", []):
        try:
            attributes[name] = _plain(resource.get_cfn_attribute(name))
        except Exception:
            message = (
                f"Template error: resource {payload.get('LogicalResourceId')} does not support attribute type "
                f"{name} in Fn::GetAtt"
            )
            # the resource exists: its id goes back with the refusal, so that the rollback deletes it
            raise ModelRefused("ValidationError", message, physical_id) from None
    for name in payload.get("OptionalAttributes", []):
        try:
            attributes[name] = _plain(resource.get_cfn_attribute(name))
        except Exception:  # noqa: S112 (moto lacks it: nothing reads it yet)
            continue
    return {"PhysicalResourceId": physical_id, "Attributes": attributes}


def _plain(value: Any) -> Any:
    """A value the stack's state file can hold."""
    return json.loads(json.dumps(value, default=str))
