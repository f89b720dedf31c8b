"""The README is a user's manual: its commands come first, and every code block in it runs."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
README = (REPOSITORY / "README.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.S)
PYTHON_BLOCKS = [code for language, code in BLOCKS if language == "python"]
BASH_LINES = [
    line.split("#")[0].strip()
    for language, code in BLOCKS
    if language == "bash"
    for line in code.splitlines()
    if line.split("#")[0].strip()
]


def make_targets() -> set[str]:
    makefile = (REPOSITORY / "Makefile").read_text()
    return {m for line in makefile.splitlines() if (m := re.match(r"^([a-z][a-z-]*):", line) and line.split(":")[0])}


def test_the_two_commands_come_first():
    language, code = BLOCKS[0]
    commands = [line.split("#")[0].strip() for line in code.strip().splitlines()]
    assert (language, commands) == ("bash", ["make demo", "make test"])


@pytest.mark.parametrize("code", PYTHON_BLOCKS, ids=[f"python-{i}" for i in range(len(PYTHON_BLOCKS))])
def test_python_snippets_synthesize(code, tmp_path):
    # each in its own interpreter, as a user's app runs: jsii's Node process reads CDK_OUTDIR once
    (tmp_path / "snippet.py").write_text(code)
    outdir = tmp_path / "cdk.out"
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, env=env, check=True, capture_output=True)
    assert list(outdir.glob("*.template.json")), "the snippet synthesized no stack"


def test_there_are_snippets_to_check():
    assert len(PYTHON_BLOCKS) >= 2 and BASH_LINES


def test_every_make_command_exists():
    targets = make_targets()
    used = {line.split()[1] for line in BASH_LINES if line.startswith("make ")}
    assert used and used <= targets, used - targets


def test_every_localcloud_command_exists(capsys):
    # the commands' own parser, in this process (tests/e2e/test_cli.py starts `python -m localcloud`)
    from localcloud.cli import main

    used = [command for line in BASH_LINES for command in re.findall(r" -m localcloud (\w+)", line)]
    assert used
    for command in used:
        with pytest.raises(SystemExit) as exited:
            main([command, "--help"])
        assert exited.value.code == 0, command
        assert capsys.readouterr().out.startswith(f"usage: python -m localcloud {command}")


def test_the_lifecycle_diagram_is_mermaid():
    (diagram,) = [code for language, code in BLOCKS if language == "mermaid"]
    assert diagram.startswith("sequenceDiagram")
    for step in ("CreateEventTracker", "DeleteEventTracker", "ResourceAlreadyExists", "DescribeEventTracker"):
        assert step in diagram
