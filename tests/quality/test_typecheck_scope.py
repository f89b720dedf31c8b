"""mypy checks every aws-cdk-lib module the project imports.

mypy follows only the aws-cdk-lib modules listed in pyproject.toml (docs/design.md, "mypy, from
scratch"); any other is `Any` to it, so a call into a module imported but not listed would go
unchecked, silently. This test reads the imports of everything `make typecheck` checks and
names each aws-cdk-lib module missing from the list.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]


def typechecked_paths() -> list[Path]:
    """What `make typecheck` hands mypy, read from the Makefile."""
    recipe = re.search(r"^typecheck:.*\n\t\$\(BIN\)/mypy (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert recipe, "the Makefile's typecheck target runs mypy on a list of paths"
    return [ROOT / name for name in recipe.group(1).split()]


def cdk_modules_imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "aws_cdk"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "aws_cdk":
            found.add(node.module or "")
            # `from aws_cdk import aws_s3` imports a module; `from aws_cdk import Stack`, a class
            found |= {
                f"{node.module}.{alias.name}"
                for alias in node.names
                if importlib.util.find_spec(f"{node.module}.{alias.name}") is not None
            }
    return found


def followed() -> set[str]:
    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    return {
        module
        for override in overrides
        if override.get("follow_imports") == "normal"
        for module in ([override["module"]] if isinstance(override["module"], str) else override["module"])
    }


def test_every_aws_cdk_module_the_project_imports_is_type_checked():
    files = [f for p in typechecked_paths() for f in ([p] if p.is_file() else sorted(p.rglob("*.py")))]
    imported = {module for file in files for module in cdk_modules_imported(file)}

    assert {"aws_cdk", "aws_cdk.aws_personalize"} <= imported  # the scan sees the construct's imports
    assert imported - followed() == set(), "add these to the follow_imports = normal list in pyproject.toml"
