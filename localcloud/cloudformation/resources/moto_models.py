"""moto's CloudFormation models as native types: one `NativeType` made per model class.

moto gives about a hundred of its resources a CloudFormation face (`CloudFormationModel`: create,
often update and delete from a resource's properties, `physical_resource_id` for Ref,
`get_cfn_attribute` for Fn::GetAtt). `moto_models()` finds them as moto's own CloudFormation
does, through `CloudFormationModel.__subclasses__()` once every backend is imported, keyed by
`cloudformation_type()`; `moto_types()` makes a `MotoModel` subclass of each. What those need of
each model (its module, whether it updates, its name property, what replaces it) is kept in the
user's cache (`statedir/user_cache.py`), so a process imports only the modules of the models its
stacks use (`moto_model`), not every backend. The stack engine
picks them after the hand-written types (`NATIVE_TYPES` wins), and refuses a type no one emulates.

Left out: the types of services that stay ours (Lambda, CloudFormation, Personalize: moto's
Lambda permission or event source mapping would look the function up in moto's own Lambda), and
a type moto can neither delete nor find to delete, so that a stack can always be destroyed.

A model's operation runs in the endpoint, not here: it is a request to the endpoint's
`localcloud-models` service (`endpoint/model_operations.py`), signed like any other, which runs
moto's classmethod there. So it is serialized with moto's other writes and journaled with them,
and a restart replays it: the resource comes back with its ids.

Which properties replace a resource on update (`replaced_by`) is CloudFormation's registry
schema's `createOnlyProperties`, read from cfn-lint's copy of the schemas; a type moto cannot
update is replaced on any change, as CloudFormation does when an update requires replacement.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import json
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

import moto
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.core.common_models import CloudFormationModel

from ...local_env import TEST_KEYS, profiles_hidden
from ...statedir.user_cache import cache_file, kept
from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result, generated_name

MODEL_SERVICE = "localcloud-models"  # the signing name of the endpoint's model operations
MODEL_TARGET = "LocalCloudModels"  # their X-Amz-Target prefix: LocalCloudModels.CreateResource...
# moto packages whose services stay ours: their models are not offered
OUR_PACKAGES = ("moto.awslambda", "moto.awslambda_simple", "moto.cloudformation", "moto.personalize")
TYPE_NAME = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")
DEFAULT_NAME_LIMIT = 64
SCHEMA_REGION = "us-east-1"  # the region whose registry has every type
TIMEOUT = 300  # seconds: a model operation is quick, but the endpoint may be busy
CUSTOM_NAMED = (
    "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
    "Rename {name} and update the stack again."
)

_LOCK = threading.Lock()


def moto_models() -> dict[str, type[CloudFormationModel]]:
    """moto's CloudFormation models by type, those a stack can create and delete (once per process)."""
    with _LOCK:
        return _moto_models()


@functools.cache
def _moto_models() -> dict[str, type[CloudFormationModel]]:
    from moto.backend_index import backend_url_patterns

    for backend in sorted({name for name, _ in backend_url_patterns}):
        _import_blind(f"moto.{backend}.models")  # defines its models: __subclasses__ finds them
    found: dict[str, type[CloudFormationModel]] = {}
    for model in subclasses(CloudFormationModel):  # type: ignore[type-abstract]
        type_name = model.cloudformation_type()
        if (
            type_name not in found
            and TYPE_NAME.match(type_name)
            and not model.__module__.startswith(OUR_PACKAGES)
            and hasattr(model, "physical_resource_id")
            and (implemented(model, "delete_from_cloudformation_json") or instance_delete(model) is not None)
        ):
            found[type_name] = model
    return found


def _import_blind(module: str) -> Any:
    """Import one of moto's modules blind to the shell's profile (`profiles_hidden`)."""
    with profiles_hidden():
        return importlib.import_module(module)


def moto_model(type_name: str) -> type[CloudFormationModel] | None:
    """The model of `type_name`, its own module imported (not every backend, as `moto_models`)."""
    with _LOCK:
        traits = _model_traits().get(type_name)
    if traits is None:
        return None
    module, qualified_name = traits["model"]
    found: Any = _import_blind(module)
    for name in qualified_name.split("."):
        found = getattr(found, name)
    return found  # type: ignore[no-any-return]


def subclasses(model: type[CloudFormationModel]) -> list[type[CloudFormationModel]]:
    """Every subclass, parents before their children (the first of a type is the one moto uses)."""
    found: list[type[CloudFormationModel]] = []
    for child in model.__subclasses__():
        found += [child, *subclasses(child)]
    return found


def implemented(model: type, method: str) -> bool:
    """Whether the model overrides CloudFormationModel's abstract `method`."""
    return not hasattr(getattr(model, method), "__isabstractmethod__")


def instance_delete(model: type) -> Any:
    """The model's own `delete(account_id, region_name)`, which moto's CloudFormation tries first."""
    delete = getattr(model, "delete", None)
    if delete is None or not callable(delete):
        return None
    parameters = list(inspect.signature(delete).parameters)
    return delete if parameters[:3] == ["self", "account_id", "region_name"] else None


@functools.cache
def schema(type_name: str) -> dict[str, Any]:
    """CloudFormation's registry schema of the type (cfn-lint's copy); {} when it has none."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError

    try:
        return dict(PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, type_name).schema)
    except ResourceNotFoundError:
        return {}


def _top_level(pointers: list[str]) -> frozenset[str]:
    """`/properties/Name/...` -> Name; `/properties/Endpoint/Address` (an attribute) -> Endpoint.Address."""
    return frozenset(".".join(p.split("/")[2:]) for p in pointers if p.startswith("/properties/"))


def moto_types() -> dict[str, type[NativeType]]:
    """A native type for each of moto's models."""
    with _LOCK:
        return _moto_types()


@functools.cache
def _moto_types() -> dict[str, type[NativeType]]:
    return {type_name: _native_type(type_name, traits) for type_name, traits in _model_traits().items()}


@functools.cache
def _model_traits() -> dict[str, dict[str, Any]]:
    """What the stack engine needs of each model, kept in the user's cache: finding it imports
    every moto backend and reads cfn-lint's registry schemas, 2.5 s of CPU in every process whose
    first change set checks its template's types."""
    versions = [moto.__version__, importlib.metadata.version("cfn-lint")]
    return kept(cache_file("moto-models", versions, Path(__file__)), _find_traits, dict)


def _find_traits() -> dict[str, dict[str, Any]]:
    return {type_name: _traits(type_name, model) for type_name, model in _moto_models().items()}


def _traits(type_name: str, model: type[CloudFormationModel]) -> dict[str, Any]:
    registry = schema(type_name)
    name_property = model.cloudformation_name_type() or ""
    updatable = implemented(model, "update_from_cloudformation_json")
    create_only = {name.split(".")[0] for name in _top_level(registry.get("createOnlyProperties", []))}
    if name_property in registry.get("properties", {}):
        create_only.add(name_property)
    read_only = _top_level(registry.get("readOnlyProperties", []))
    if not updatable:
        create_only |= set(registry.get("properties", {})) - {name.split(".")[0] for name in read_only}
    limit = registry.get("properties", {}).get(name_property, {}).get("maxLength", DEFAULT_NAME_LIMIT)
    return {
        "model": [model.__module__, model.__qualname__],
        "replaced_by": sorted(create_only),
        "updatable": updatable,
        "name_property": name_property,
        "name_limit": int(limit),
        "schema_attributes": sorted(read_only),
    }


def _native_type(type_name: str, traits: dict[str, Any]) -> type[NativeType]:
    attributes = {
        "type_name": type_name,
        "replaced_by": frozenset(traits["replaced_by"]),
        "updatable": bool(traits["updatable"]),
        "name_property": str(traits["name_property"]),
        "name_limit": int(traits["name_limit"]),
        "schema_attributes": frozenset(traits["schema_attributes"]),
    }
    return type(f"Moto{traits['model'][1].replace('.', '')}Type", (MotoModel,), attributes)


class MotoModel(NativeType):
    """A type that one of moto's CloudFormation models emulates, run at the endpoint."""

    updatable: ClassVar[bool] = False
    name_property: ClassVar[str] = ""
    name_limit: ClassVar[int] = DEFAULT_NAME_LIMIT
    schema_attributes: ClassVar[frozenset[str]] = frozenset()  # the registry's read-only properties

    def create(self, request: ResourceRequest) -> Result:
        return self._run("CreateResource", request, Name=self._name(request))

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        old, new = current["properties"], request.properties
        changed = {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}
        if not self.updatable or changed & self.replaced_by:
            name = new.get(self.name_property) if self.name_property else None
            if name is not None and name == old.get(self.name_property):
                raise ResourceFailed(CUSTOM_NAMED.format(name=name))
            return self.create(request)  # a new physical id: the engine's cleanup deletes the old one
        # the name moto gives the resource should its update replace it (moto's own convention)
        return self._run("UpdateResource", request, Name=self._name(request), PhysicalResourceId=current["physical_id"])

    def delete(self, entry: ResourceRecord) -> None:
        self._send(
            "DeleteResource",
            {
                "Type": self.type_name,
                "LogicalResourceId": str(entry.get("logical_id", "")),
                "Properties": entry["properties"],
                "PhysicalResourceId": entry["physical_id"],
            },
        )

    def _name(self, request: ResourceRequest) -> str:
        given = request.properties.get(self.name_property) if self.name_property else None
        if given is not None:
            return str(given)
        fifo = any(str(request.properties.get(flag, "")).lower() == "true" for flag in ("FifoQueue", "FifoTopic"))
        if fifo:  # CloudFormation names a FIFO queue or topic with the suffix its service requires
            return generated_name(request, self.name_limit - len(".fifo")) + ".fifo"
        return generated_name(request, self.name_limit)

    def _run(self, operation: str, request: ResourceRequest, **names: str) -> Result:
        answer = self._send(
            operation,
            {
                **names,
                "Type": self.type_name,
                "StackName": request.stack_name,
                "LogicalResourceId": request.logical_id,
                "Properties": request.properties,
                "Attributes": sorted(request.attribute_names),
                "OptionalAttributes": sorted(self.schema_attributes - request.attribute_names),
            },
        )
        return str(answer["PhysicalResourceId"]), dict(answer.get("Attributes", {}))

    def _send(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The endpoint's answer to one model operation; ResourceFailed with moto's words if refused."""
        body = json.dumps(payload).encode()
        signed = AWSRequest(
            method="POST",
            url=self.services.endpoint_url + "/",
            data=body,
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{MODEL_TARGET}.{operation}"},
        )
        credentials = Credentials(TEST_KEYS["AWS_ACCESS_KEY_ID"], TEST_KEYS["AWS_SECRET_ACCESS_KEY"])
        SigV4Auth(credentials, MODEL_SERVICE, self.services.region).add_auth(signed)
        headers = dict(signed.headers.items())
        sent = urllib.request.Request(str(signed.url), data=body, headers=headers, method="POST")  # noqa: S310 (ours)
        try:
            with urllib.request.urlopen(sent, timeout=TIMEOUT) as response:  # noqa: S310 (the endpoint's own URL)
                return dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as error:
            try:
                refused = json.loads(error.read())
            except ValueError:
                refused = {"message": f"HTTP {error.code}"}
            message = str(refused.get("message") or refused.get("__type"))
            # a resource made before the refusal carries its id: the rollback deletes it
            raise ResourceFailed(message, str(refused.get("PhysicalResourceId", ""))) from None
        except OSError as error:
            raise ResourceFailed(f"the local cloud's endpoint did not answer: {error}") from None
