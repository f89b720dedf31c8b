"""AWS::SSM::Parameter: a String parameter in the local Parameter Store."""

from __future__ import annotations

from typing import Any

from .base import NativeType, Request, Result


class Parameter(NativeType):
    type_name = "AWS::SSM::Parameter"

    def create(self, request: Request) -> Result:
        name = request.properties.get("Name") or self.environment.generated_name(request, 2048)
        self.environment.parameters.put(name, str(request.properties["Value"]))
        return name, {"Type": request.properties.get("Type", "String"), "Value": str(request.properties["Value"])}

    def update(self, request: Request, current: dict[str, Any]) -> Result:
        name = request.properties.get("Name") or current["physical_id"]
        if name != current["physical_id"]:
            return self.create(request)  # a new name replaces the parameter; cleanup deletes the old
        self.environment.parameters.put(name, str(request.properties["Value"]))
        return name, {"Type": request.properties.get("Type", "String"), "Value": str(request.properties["Value"])}

    def delete(self, entry: dict[str, Any]) -> None:
        self.environment.parameters.delete(entry["physical_id"])
