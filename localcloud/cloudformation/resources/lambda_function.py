"""AWS::Lambda::Function: recorded with the staged asset its code names, which custom resources run."""

from __future__ import annotations

from typing import Any

from ...intrinsics import TemplateError
from .base import NativeType, Request, Result

# The attribute under which the local cloud keeps the function's asset directory.
ASSET_ATTRIBUTE = "localcloud:asset"


class Function(NativeType):
    type_name = "AWS::Lambda::Function"

    def create(self, request: Request) -> Result:
        name = request.properties.get("FunctionName") or self.environment.generated_name(request)
        arn = f"arn:aws:lambda:{self.environment.region}:{self.environment.account}:function:{name}"
        code_key = str(request.properties.get("Code", {}).get("S3Key", ""))
        if code_key not in request.assets:
            raise TemplateError(f"{request.logical_id}: no staged asset for code {code_key!r}")
        return name, {"Arn": arn, ASSET_ATTRIBUTE: str(request.assets[code_key])}

    def update(self, request: Request, current: dict[str, Any]) -> Result:
        # new code or configuration, the same function: name and ARN stay
        _, attributes = self.create(request)
        return str(current["physical_id"]), {**current["attributes"], **attributes, "Arn": current["attributes"]["Arn"]}
