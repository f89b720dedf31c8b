"""The bundled asset, as real synthesis stages it."""

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from personalize_event_tracker import EventTracker

DATASET_GROUP_ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/clicks"


def synthesize_asset(outdir: Path) -> Path:
    """Synthesize a stack with one tracker, bundling on; return the staged asset directory."""
    # the CLI turns asset metadata on; an in-process app must ask for it
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:enable-asset-metadata": True})
    stack = cdk.Stack(app, "AssetStack")
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    assembly = app.synth()
    template = json.loads(Path(assembly.get_stack_by_name("AssetStack").template_full_path).read_text())
    (function,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    return outdir / str(function["Metadata"]["aws:asset:path"])


@pytest.fixture(scope="session")
def bundled_asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize_asset(tmp_path_factory.mktemp("cdk.out"))
