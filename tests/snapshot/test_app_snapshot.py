"""A snapshot of the example app's template: a backstop that shows any change in review."""

import json
import re
from pathlib import Path

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from app import STACK_NAME, build_app

ASSET_HASH = re.compile(r"[0-9a-f]{64}")


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.with_defaults(extension_class=JSONSnapshotExtension)


def masked(value):
    """The template with asset hashes masked: the snapshot is about shape, not bytes."""
    return json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(value)))


def test_example_app_template(snapshot_json, tmp_path):
    # real synthesis, bundling included; version reporting off so a CDK upgrade alone changes nothing
    app = build_app(context={"aws:cdk:version-reporting": False}, outdir=str(tmp_path))
    template_path = app.synth().get_stack_by_name(STACK_NAME).template_full_path
    template = json.loads(Path(template_path).read_text())
    assert masked(template) == snapshot_json
