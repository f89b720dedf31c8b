"""A cloud assembly (`cdk synth`'s output): its stacks, their templates and their file assets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class StackArtifact:
    artifact_id: str
    stack_name: str
    template: dict[str, Any]
    assets: dict[str, Path]  # S3 object key of each file asset -> its staged directory or file


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
        assets: dict[str, Path] = {}
        for dependency in artifact.get("dependencies", []):
            asset_manifest = artifacts.get(dependency, {})
            if asset_manifest.get("type") != "cdk:asset-manifest":
                continue
            files = json.loads((directory / asset_manifest["properties"]["file"]).read_text()).get("files", {})
            for entry in files.values():
                for destination in entry.get("destinations", {}).values():
                    assets[destination["objectKey"]] = directory / entry["source"]["path"]
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
