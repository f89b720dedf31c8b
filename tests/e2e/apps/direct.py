"""Test app for CloudFormation's other doors, as the CDK CLI uses them: `cdk deploy --method=direct`
(CreateStack, UpdateStack) and `cdk import` (an IMPORT change set).

Each variant is a stack named Direct (`Direct-<variant>`), so one synthesis serves the journey:

- "v1": an SSM parameter of the stack's own;
- "v2": its value changed, an update in place;
- "adopting": v2 and a parameter made outside any stack, retained, for `cdk import` to adopt.
"""

import aws_cdk as cdk
from aws_cdk import aws_ssm as ssm

OWN = "/direct/own"
ADOPTED = "/direct/adopted"

app = cdk.App()
for variant in ("v1", "v2", "adopting"):
    stack = cdk.Stack(app, f"Direct-{variant}", stack_name="Direct")
    own = ssm.StringParameter(stack, "Own", parameter_name=OWN, string_value="one" if variant == "v1" else "two")
    cdk.CfnOutput(stack, "OwnValue", value=own.string_value)
    if variant == "adopting":
        adopted = ssm.StringParameter(stack, "Adopted", parameter_name=ADOPTED, string_value="made-by-hand")
        adopted.apply_removal_policy(cdk.RemovalPolicy.RETAIN)

app.synth()
