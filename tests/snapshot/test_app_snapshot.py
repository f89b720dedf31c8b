"""A snapshot of the example app's template: a backstop that shows any change in review."""

import json
import os
import re
import subprocess
import sys
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


REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # two syntheses, each in an interpreter of its own
def test_synthesis_is_byte_stable_across_processes_and_directories(tmp_path):
    # GIVEN the example app synthesized twice, in separate processes started in different directories
    templates = []
    for run in ("first", "second"):
        workdir, outdir = tmp_path / run / "cwd", tmp_path / run / "cdk.out"
        workdir.mkdir(parents=True)
        env = {**os.environ, "CDK_OUTDIR": str(outdir), "PYTHONPATH": str(REPOSITORY)}
        subprocess.run([sys.executable, str(REPOSITORY / "app.py")], cwd=workdir, env=env, check=True)
        templates.append((outdir / f"{STACK_NAME}.template.json").read_bytes())
    # THEN the templates are the same to the byte: asset hashes and logical ids included, so users'
    # own snapshot tests of stacks holding a tracker do not flicker
    assert templates[0] == templates[1]
    assert ASSET_HASH.search(templates[0].decode())  # the asset hash is part of what was compared
