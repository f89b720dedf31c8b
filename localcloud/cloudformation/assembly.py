"""A cloud assembly (`cdk synth`'s output): its stacks, their templates and their file assets.

`publish` puts a stack's file assets where its template expects them, in the endpoint's S3, as
the CDK CLI's asset publishing does: a directory is zipped (deterministically, so the same
sources make the same bytes and Lambda unpacks them once), a file is uploaded as it is.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .services import Services

# A zip entry's time: fixed, so that a directory's zip depends on its contents alone.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class FileAsset:
    """One file asset of a stack: its staged source and where the template expects it."""

    source: Path  # the staged directory or file
    packaging: str  # "zip" (a directory) or "file"
    bucket: str  # the destination bucket, with ${AWS::AccountId} and ${AWS::Region} placeholders
    key: str


@dataclass
class StackArtifact:
    artifact_id: str
    stack_name: str
    template: dict[str, Any]
    assets: list[FileAsset]

    def asset(self, key: str) -> FileAsset:
        """The asset published at this S3 key (a Lambda function's Code.S3Key)."""
        (found,) = [asset for asset in self.assets if asset.key == key]
        return found


def read_assembly(directory: Path) -> list[StackArtifact]:
    directory = Path(directory).resolve()
    manifest = json.loads((directory / "manifest.json").read_text())
    artifacts = manifest.get("artifacts", {})
    stacks = []
    for artifact_id, artifact in artifacts.items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact["properties"]
        template = json.loads((directory / properties["templateFile"]).read_text())
        assets: list[FileAsset] = []
        for dependency in artifact.get("dependencies", []):
            asset_manifest = artifacts.get(dependency, {})
            if asset_manifest.get("type") != "cdk:asset-manifest":
                continue
            files = json.loads((directory / asset_manifest["properties"]["file"]).read_text()).get("files", {})
            for entry in files.values():
                source = entry["source"]
                for destination in entry.get("destinations", {}).values():
                    assets.append(
                        FileAsset(
                            directory / source["path"],
                            source.get("packaging", "file"),
                            destination["bucketName"],
                            destination["objectKey"],
                        )
                    )
        stacks.append(StackArtifact(artifact_id, properties.get("stackName", artifact_id), template, assets))
    return stacks


def find_stack(directory: Path, name: str = "") -> StackArtifact:
    """The named stack, or the only one."""
    stacks = read_assembly(directory)
    if name:
        for stack in stacks:
            if name in (stack.stack_name, stack.artifact_id):
                return stack
        raise KeyError(f"no stack {name!r} in {directory} (it has {', '.join(s.stack_name for s in stacks)})")
    if len(stacks) != 1:
        raise KeyError(f"{directory} has {len(stacks)} stacks: name one ({', '.join(s.stack_name for s in stacks)})")
    return stacks[0]


def publish(artifact: StackArtifact, services: Services) -> None:
    """Upload the stack's file assets to their buckets at the endpoint."""
    s3 = services.client("s3")
    for asset in artifact.assets:
        bucket = asset.bucket.replace("${AWS::AccountId}", services.account).replace("${AWS::Region}", services.region)
        body = zipped(asset.source) if asset.packaging == "zip" else asset.source.read_bytes()
        s3.put_object(Bucket=bucket, Key=asset.key, Body=body)


def zipped(directory: Path) -> bytes:
    """The directory as a zip, its entries in name order with a fixed time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            entry = zipfile.ZipInfo(path.relative_to(directory).as_posix(), ZIP_EPOCH)
            entry.external_attr = (path.stat().st_mode & 0o777) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    return buffer.getvalue()
