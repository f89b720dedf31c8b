"""What every synthesis the suite runs shares, in the test process and in every process it starts
(`python app.py`, `cdk synth`, the CDK CLI of a journey, a README snippet).

tests/conftest.py puts these in the suite's environment; a journey that gives the CLI an
environment of its own (a HOME of its own, nothing of the developer's shell) passes them on.
"""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]

SYNTHESIS_ENVIRONMENT = {
    # aws-cdk-lib's built-in template validation (CloudFormationValidatePlugin, on by default in the
    # pinned release) starts a WebAssembly rule engine in every process that synthesizes: about 1 s of CPU
    # each, in the 40-odd processes of `make test` that synthesize. Whether it finds anything in
    # the library's stacks is one test's question, tests/quality/test_template_validation.py, which
    # registers the plugin itself; the demo's synthesis (`make demo`) runs it as a user's does.
    "CDK_VALIDATION": "false",
    # Node.js keeps the code it compiles for the CDK CLI's bundle (about 0.2 s of CPU a command)
    # and reuses it while the file is unchanged: the cache is keyed by Node's version and the
    # code's own hash, so it is never stale.
    "NODE_COMPILE_CACHE": str(REPOSITORY / ".make" / "cli-compile-cache"),
    # ... for the CLI alone: a jsii kernel loads aws-cdk-lib through a temporary directory of its
    # own (the package cache's files, linked), so each kernel added 333 entries that no other kernel
    # could use, about 4 MB: 6 GB after a day of runs. Its node (tests/jsii_node) runs without it.
    "JSII_NODE": str(REPOSITORY / "tests" / "jsii_node"),
    # A journey that gives the CLI a HOME of its own (nothing of ~/.aws can be read then) would
    # also give jsii an empty package cache: each synthesis would unpack aws-cdk-lib again, about
    # 8 s of CPU where a user's machine, whose cache is warm after its first synthesis, spends
    # none. Every synthesis uses this user's cache, which holds nothing about AWS.
    "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(Path.home() / ".cache" / "aws" / "jsii" / "package-cache"),
}
