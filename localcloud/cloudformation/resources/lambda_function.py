"""AWS::Lambda::Function: recorded with the code custom resources run, unpacked as Lambda would.

The code is what the template names, as in AWS: the zip at `Code.S3Bucket`/`Code.S3Key` that
the CDK CLI (or `assembly.publish`) published, read from the endpoint's S3 and unpacked once per
digest under the code directory; or `Code.ZipFile`'s inline source. What Lambda's API tells of
the code (its zip's SHA-256 and size; for inline source, the zip CloudFormation would make of it)
and when the function last changed are kept beside it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
import zipfile
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ...statedir import unpack_directory
from ..errors import ResourceFailed
from ..intrinsics import TemplateError
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result, generated_name

# The attribute under which the local cloud keeps the function's code directory.
ASSET_ATTRIBUTE = "localcloud:asset"
# What Lambda's API reports of a function besides its template: its code's `CodeSha256` (base64)
# and `CodeSize`, and its `LastModified`, kept under these attributes.
CODE_SHA256_ATTRIBUTE = "localcloud:code-sha256"
CODE_SIZE_ATTRIBUTE = "localcloud:code-size"
LAST_MODIFIED_ATTRIBUTE = "localcloud:last-modified"
INLINE_FILE = {"python": "index.py", "nodejs": "index.js"}


class Function(NativeType):
    type_name = "AWS::Lambda::Function"
    replaced_by = frozenset({"FunctionName", "PackageType"})

    def create(self, request: ResourceRequest) -> Result:
        name = request.properties.get("FunctionName") or generated_name(request)
        arn = f"arn:aws:lambda:{self.services.region}:{self.services.account}:function:{name}"
        return name, {"Arn": arn, **self._code(request)}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        if request.properties.get("FunctionName", current["physical_id"]) != current["physical_id"]:
            return self.create(request)
        # new code or configuration, the same function: name and ARN stay
        return str(current["physical_id"]), {**current["attributes"], **self._code(request)}

    def _code(self, request: ResourceRequest) -> dict[str, Any]:
        """The code's attributes: where it is unpacked, its zip's digest and size, and now."""
        code = request.properties.get("Code", {})
        if "ZipFile" in code:
            runtime = str(request.properties.get("Runtime", "python"))
            file_name = next((f for prefix, f in INLINE_FILE.items() if runtime.startswith(prefix)), "index.py")
            source = str(code["ZipFile"]).encode()
            directory = self._unpacked(source, lambda target: (target / file_name).write_bytes(source))
            archive = _inline_zip(file_name, source)
        else:
            archive = self._s3_zip(request)
            directory = self._unpacked(archive, lambda target: _extract(archive, target, code))
        return {
            ASSET_ATTRIBUTE: str(directory),
            CODE_SHA256_ATTRIBUTE: base64.b64encode(hashlib.sha256(archive).digest()).decode(),
            CODE_SIZE_ATTRIBUTE: len(archive),
            LAST_MODIFIED_ATTRIBUTE: time.time(),
        }

    def _s3_zip(self, request: ResourceRequest) -> bytes:
        code = request.properties.get("Code", {})
        key = str(code.get("S3Key", ""))
        if "S3Bucket" not in code:
            raise TemplateError(f"{request.logical_id}: Code needs S3Bucket and S3Key, or ZipFile")
        try:
            return bytes(self.services.client("s3").get_object(Bucket=code["S3Bucket"], Key=key)["Body"].read())
        except ClientError as error:
            raise ResourceFailed(
                f"Error occurred while GetObject. S3 Error Code: {error.response['Error']['Code']}. "
                f"S3 Error Message: {error.response['Error'].get('Message', '')} (s3://{code['S3Bucket']}/{key})"
            ) from None

    def _unpacked(self, content: bytes, write: Any) -> Path:
        """The directory holding this code, unpacked once per digest of its bytes (aside, then
        renamed: a kill never leaves a part of it under its name)."""
        target = self.code_dir / hashlib.sha256(content).hexdigest()
        unpack_directory(target, write)
        return target


def _extract(body: bytes, target: Path, code: dict[str, Any]) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            archive.extractall(target)
    except zipfile.BadZipFile:
        raise ResourceFailed(f"Could not unzip uploaded file s3://{code['S3Bucket']}/{code.get('S3Key', '')}") from None


def _inline_zip(file_name: str, source: bytes) -> bytes:
    """The zip CloudFormation makes of `Code.ZipFile`: one file, the same bytes for the same source."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo(file_name, date_time=(1980, 1, 1, 0, 0, 0))
        entry.external_attr = 0o100644 << 16
        archive.writestr(entry, source)
    return buffer.getvalue()
