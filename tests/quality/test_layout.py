"""The local cloud's layout stays readable: small modules and classes, and no import circles.

A newcomer reads a module knowing only what it imports; a circle (two modules importing each
other, even only for type checking) means neither can be read first. Imports are read from the
source, so an import made only under `TYPE_CHECKING` counts.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "localcloud"
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 300


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path) -> set[str]:
    """The local cloud's modules that this module imports, at any level of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` imports the module; `from module import name`, the module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in MODULES and target != name}
    return found


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Each module's imports of the others. Built when a test first asks, not at collection: every
    pytest worker collects this module, and parsing the package costs about 0.6 s of CPU."""
    return {name: imported(name, path) for name, path in MODULES.items()}


def test_no_two_modules_import_each_other():
    graph = import_graph()
    mutual = sorted((a, b) for a, targets in graph.items() for b in targets if a < b and a in graph[b])
    assert mutual == []


def test_there_is_no_import_circle():
    graph = import_graph()
    circles: list[list[str]] = []
    state: dict[str, str] = {}  # "open" while on the current path, "done" once explored

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    # a package's __init__ importing its own modules is no circle unless they import the package back
    assert circles == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_classes_stay_small(name):
    path = MODULES[name]
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{name} is over {MAX_MODULE_LINES} lines"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            assert node.end_lineno is not None
            length = node.end_lineno - node.lineno + 1
            assert length <= MAX_CLASS_LINES, f"{name}.{node.name} is {length} lines"


def test_the_top_level_holds_only_the_local_clouds_face():
    top = sorted(path.stem for path in PACKAGE.glob("*.py"))
    assert top == ["__init__", "__main__", "background", "cdk_cli", "cli", "demo", "local_env"]


# The handler's modules in import order, as docs/design.md's table lists them ("The handler's
# modules"): each imports only modules before it.
HANDLER = ROOT / "lambda" / "event_tracker"
HANDLER_ORDER = [
    "answers",
    "contract",
    "retrying",
    "service",
    "waiting",
    "ownership",
    "one_tracker",
    "lifecycle",
    "index",
]


def test_the_handlers_modules_import_only_those_before_them_in_the_design():
    assert sorted(HANDLER_ORDER) == sorted(p.stem for p in HANDLER.glob("*.py") if p.stem != "__init__")
    later_imports = {}
    for position, name in enumerate(HANDLER_ORDER):
        tree = ast.parse((HANDLER / f"{name}.py").read_text())
        used = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}
        used |= {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None
            for alias in node.names
        }
        later = sorted(m for m in used if m and m in HANDLER_ORDER[position:])
        if later:
            later_imports[name] = later
    assert later_imports == {}


DESIGN = ROOT / "docs" / "design.md"


def test_the_design_names_every_module():
    """docs/design.md's package map ("Packages, and where each thing lives") names each module by
    its file name, so a newcomer finds every file there."""
    text = DESIGN.read_text()
    unnamed = sorted(
        str(path.relative_to(ROOT))
        for path in MODULES.values()
        if path.name != "__init__.py"
        and f"`{path.name}`" not in text
        and f"`{path.parent.name}/{path.name}`" not in text
    )
    assert unnamed == []
