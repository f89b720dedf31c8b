"""Local bundling (docs/design.md, "Bundling"): the handler and crhelper only, and a hash that is stable."""

import os
import subprocess
import sys
from pathlib import Path

from personalize_event_tracker import _provider

REPOSITORY = Path(__file__).resolve().parents[2]
HANDLER_SOURCE = REPOSITORY / "lambda" / "event_tracker"


def files_in(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def test_the_asset_holds_the_handler_package_and_crhelper_only(bundled_asset):
    handler_sources = sorted(HANDLER_SOURCE.glob("*.py"))
    assert files_in(bundled_asset) == [
        "crhelper/LICENSE",
        "crhelper/NOTICE",
        "crhelper/__init__.py",
        "crhelper/log_helper.py",
        "crhelper/resource_helper.py",
        "crhelper/utils.py",
        *(f"event_tracker/{source.name}" for source in handler_sources),
    ]
    assert {"__init__.py", "index.py"} <= {source.name for source in handler_sources}
    for source in handler_sources:
        assert (bundled_asset / "event_tracker" / source.name).read_bytes() == source.read_bytes()
    # the handler string names the package in the asset, so its relative imports resolve in Lambda
    assert _provider.HANDLER == "event_tracker.index.handler"


def test_the_asset_directory_is_named_after_the_content_hash(bundled_asset, tmp_path):
    # The staged name derives from the custom hash, so the same bytes give the same S3 key.
    from .conftest import synthesize_asset

    assert synthesize_asset(tmp_path / "again").name == bundled_asset.name


def hash_in_a_fresh_interpreter(cwd: Path, extra_env: dict[str, str]) -> str:
    code = "from personalize_event_tracker._provider import asset_hash; print(asset_hash())"
    env = {**os.environ, **extra_env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_hash_ignores_bytecode_caches_mtimes_and_the_working_directory(tmp_path):
    before = _provider.asset_hash()
    # GIVEN compiled files beside the sources, as running the tests leaves them
    cache = HANDLER_SOURCE / "__pycache__"
    cache.mkdir(exist_ok=True)
    stray = cache / "stray.cpython-311.pyc"
    stray.write_bytes(b"not part of the asset")
    try:
        # AND sources touched, AND another working directory and PYTHONHASHSEED
        os.utime(HANDLER_SOURCE / "index.py")
        after = hash_in_a_fresh_interpreter(tmp_path, {"PYTHONHASHSEED": "123"})
    finally:
        stray.unlink()
    # THEN the hash is the same
    assert after == before


def test_the_hash_follows_the_shipped_bytes(monkeypatch, tmp_path):
    changed = tmp_path / "index.py"
    changed.write_text("# another handler\n")
    files = tuple(
        (name, changed if name == "event_tracker/index.py" else path) for name, path in _provider.asset_files()
    )
    monkeypatch.setattr(_provider, "asset_files", lambda: files)
    _provider.asset_hash.cache_clear()
    try:
        assert _provider.asset_hash() != hash_in_a_fresh_interpreter(tmp_path, {})
    finally:
        _provider.asset_hash.cache_clear()
