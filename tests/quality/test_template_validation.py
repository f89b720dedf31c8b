"""aws-cdk-lib's built-in template validation finds nothing in the library's stacks, wherever they live.

A user's synthesis runs the CloudFormationValidatePlugin unless they turn it off, and prints what it
finds. The suite turns the built-in instance off for every other synthesis
(tests/synthesis_environment.py), so this test registers the plugin itself: that is the same rule
engine with the same default rules, and it runs whatever CDK_VALIDATION says.
"""

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import CloudFormationValidatePlugin, Validations
from aws_cdk import aws_lambda as lambda_

from .conftest import AppBuilder


def findings(app: cdk.App, outdir: Path) -> list[tuple[str, str, str]]:
    """(plugin, rule, severity) of each violation the plugin reports in `app`, synthesized into `outdir`."""
    Validations.of(app).add_plugins(CloudFormationValidatePlugin())
    app.synth()
    report = outdir / "validation-report.json"
    assert report.exists(), "the validation plugin did not run"
    reports: list[dict[str, Any]] = json.loads(report.read_text())["pluginReports"]
    return [(r["pluginName"], v["ruleName"], v["severity"]) for r in reports for v in r["violations"]]


def test_the_library_s_stacks_have_no_finding(app_under_review: AppBuilder, tmp_path: Path) -> None:
    app, _ = app_under_review(tmp_path)
    assert findings(app, tmp_path) == []


def test_a_finding_would_be_seen(tmp_path: Path) -> None:
    # GIVEN a function on a runtime Lambda no longer accepts: the rules report it
    app = cdk.App(outdir=str(tmp_path))
    lambda_.CfnFunction(
        cdk.Stack(app, "Control"),
        "Function",
        code=lambda_.CfnFunction.CodeProperty(zip_file="def handler(event, context): pass"),
        role="arn:aws:iam::123456789012:role/control",
        runtime="python2.7",
        handler="index.handler",
    )
    assert [rule for _, rule, _ in findings(app, tmp_path)] == ["E2533"]
