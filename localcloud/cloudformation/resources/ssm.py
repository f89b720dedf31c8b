"""AWS::SSM::Parameter: a parameter in the endpoint's Systems Manager Parameter Store (moto)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result, generated_name


class Parameter(NativeType):
    type_name = "AWS::SSM::Parameter"
    replaced_by = frozenset({"Name"})
    identifier = ("Name",)

    def create(self, request: ResourceRequest) -> Result:
        name = str(request.properties.get("Name") or generated_name(request, 2048))
        if not request.import_existing and self.services.parameter_exists(name):
            raise ResourceFailed(f"{name} already exists")
        return self._put(name, request)

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        name = request.properties.get("Name") or current["physical_id"]
        if name != current["physical_id"]:
            return self.create(request)  # a new name replaces the parameter; cleanup deletes the old
        return self._put(str(name), request)

    def delete(self, entry: ResourceRecord) -> None:
        self.services.delete_parameter(entry["physical_id"])

    def read(self, identifier: dict[str, str]) -> Result:
        name = identifier["Name"]
        try:
            found = self.services.client("ssm").get_parameter(Name=name)["Parameter"]
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ParameterNotFound", "ValidationException"):
                raise self.not_found(identifier) from None
            raise
        return name, {"Type": str(found["Type"]), "Value": str(found["Value"])}

    def _put(self, name: str, request: ResourceRequest) -> Result:
        properties = request.properties
        parameter_type = str(properties.get("Type", "String"))
        self.services.put_parameter(
            name,
            str(properties["Value"]),
            parameter_type=parameter_type,
            description=str(properties.get("Description", "")),
        )
        return name, {"Type": parameter_type, "Value": str(properties["Value"])}
