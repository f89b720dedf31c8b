"""cfn-lint finds no error and no warning in any synthesized template (W3005 ignored on purpose)."""

import json
from pathlib import Path

from .conftest import AppBuilder

# W3005: the redundant DependsOn CDK writes for the function's role and policy.
IGNORED = ["W3005"]


def test_templates_pass_cfn_lint(app_under_review: AppBuilder, tmp_path: Path) -> None:
    # imported here, not at collection: every pytest worker collects this module, and importing
    # cfn-lint costs about 1 s of CPU
    from cfnlint.api import ManualArgs, lint

    app, stacks = app_under_review(tmp_path)
    assembly = app.synth()
    for stack in stacks:
        template = Path(assembly.get_stack_by_name(stack).template_full_path).read_text()
        matches = lint(template, regions=["us-east-1", "eu-west-1"], config=ManualArgs(ignore_checks=IGNORED))
        assert [f"{m.rule.id} {m.message} ({m.path})" for m in matches] == []
        assert "Resources" in json.loads(template)
