"""No deprecated aws-cdk-lib API in the library: apps synthesize with JSII_DEPRECATED=fail.

jsii prints `[WARNING] aws-cdk-lib.X#y is deprecated` into every synthesis that calls a deprecated
API (it is not an annotation, so `cdk synth --strict` does not see it), and pipelines that set
JSII_DEPRECATED=fail cannot synthesize at all. These run with whatever aws-cdk-lib the venv
holds: both apps on the pinned release in the suite; the consumer app (the library as another app
uses it, its asset bundled, which the construct tests skip) on the oldest supported one too, in
`make oldest-suite`. The example app is this project's own, made for the pinned release.
"""

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
APPS = {
    "example": REPOSITORY / "app.py",
    "consumer": REPOSITORY / "examples" / "consumer_app" / "app.py",
}


@pytest.mark.slow  # a synthesis in an interpreter of its own
@pytest.mark.parametrize("app", [pytest.param("consumer", marks=pytest.mark.release), "example"])
def test_synthesizes_with_deprecated_apis_failing(app, tmp_path):
    # GIVEN a pipeline's setting: every deprecated call is an error
    env = {**os.environ, "JSII_DEPRECATED": "fail", "CDK_OUTDIR": str(tmp_path / "cdk.out")}

    # WHEN the app synthesizes, in its own interpreter as the CDK CLI runs it
    result = subprocess.run(
        [sys.executable, str(APPS[app])],
        cwd=APPS[app].parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    # THEN it succeeds, and nothing was reported as deprecated
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"aws-cdk-lib {importlib.metadata.version('aws-cdk-lib')}:\n{output}"
    assert "deprecated" not in output.lower() and "[WARNING]" not in output, output
    assert list((tmp_path / "cdk.out").glob("*.template.json")), "no template was written"
