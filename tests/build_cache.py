"""Expensive test inputs (CDK CLI assemblies, a venv with the wheel) built once and reused until
what they are built from changes.

Each entry is a directory under .make/test-cache/ named by a digest of its inputs: the
library's and the handler's source, the apps, the pinned toolchain, the installed aws-cdk-lib,
constructs, jsii and crhelper, and the Python version. A change to any of them is a new entry,
built afresh; nothing is ever reused across a change. Parallel pytest workers take a file lock,
so an entry is built by one of them while the others wait for it.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
CACHE = REPOSITORY / ".make" / "test-cache"
# Everything a synthesized assembly or an installed wheel is made from, in this checkout.
SOURCES = [
    "constructs",
    "lambda",
    "examples",
    "tests/e2e/apps",
    "app.py",
    "cdk.json",
    "pyproject.toml",
    "package-lock.json",
    "requirements.txt",
    "requirements-dev.txt",
]
DISTRIBUTIONS = ["aws-cdk-lib", "constructs", "jsii", "crhelper"]


def source_fingerprint() -> str:
    """A digest of every source file and tool version that goes into a cached entry."""
    digest = hashlib.sha256(sys.version.encode())
    for name in DISTRIBUTIONS:
        digest.update(f"\0{name}=={importlib.metadata.version(name)}".encode())
    for root in SOURCES:
        path = REPOSITORY / root
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and not {"__pycache__", "cdk.out"} & set(file.parts) and file.suffix != ".pyc":
                digest.update(b"\0" + str(file.relative_to(REPOSITORY)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def cached(name: str, inputs: Iterable[str], build: Callable[[Path], None]) -> Path:
    """The entry `name` for these inputs, built by `build(directory)` if it does not exist yet."""
    digest = hashlib.sha256("\0".join([source_fingerprint(), *inputs]).encode()).hexdigest()[:20]
    target = CACHE / f"{name}-{digest}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder per entry; the other workers wait here
        if not (target / ".complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            for stale in CACHE.glob(f"{name}-{'?' * len(digest)}"):  # older inputs' entries are never used again
                shutil.rmtree(stale, ignore_errors=True)
            build(target)
            (target / ".complete").touch()
    return target
