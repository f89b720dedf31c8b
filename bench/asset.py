"""The Lambda asset: bytes and files, and the handler's cold import in the runtime venv (boto3
only) against `import boto3` alone, each in a fresh interpreter, interleaved.

    python -m bench.asset [--runs 15]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import time
import zipfile
from pathlib import Path

from localcloud.lambda_runtime import runtime_python
from personalize_event_tracker._provider import HANDLER, staged_asset

BENCH = Path(__file__).resolve().parent


def cold_import(python: Path, code: str, cwd: Path) -> float:
    env = {"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    started = time.perf_counter()
    subprocess.run([str(python), "-I", "-B", "-c", code], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    python = runtime_python()
    asset = staged_asset()  # what CDK stages as the function's code
    files = [p for p in asset.rglob("*") if p.is_file()]
    raw = sum(p.stat().st_size for p in files)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(files):
            zipped.write(path, path.relative_to(asset).as_posix())
    # as Lambda's Init does: the task root on the path, then the handler string's module
    handler_module = HANDLER.rsplit(".", 1)[0]
    handler_code = f"import sys; sys.path.insert(0, {str(asset)!r}); import {handler_module}"
    boto3_code = "import boto3"
    handler, boto3_only, empty = [], [], []
    for _ in range(args.runs):
        empty.append(cold_import(python, "pass", asset))
        boto3_only.append(cold_import(python, boto3_code, asset))
        handler.append(cold_import(python, handler_code, asset))
    base = statistics.median(empty)
    result = {
        "files": len(files),
        "bytes": raw,
        "zip_bytes": len(archive.getvalue()),
        "interpreter_s": base,
        "import_boto3_s": statistics.median(boto3_only) - base,
        "import_handler_s": statistics.median(handler) - base,
    }
    result["ratio"] = result["import_handler_s"] / result["import_boto3_s"]
    print(f"asset: {result['files']} files, {result['bytes']} bytes ({result['zip_bytes']} zipped)")
    print(
        f"cold import beyond an empty interpreter (median of {args.runs}): boto3 {result['import_boto3_s']:.3f} s, "
        f"handler {result['import_handler_s']:.3f} s, ratio {result['ratio']:.2f}x"
    )
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "asset.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    os.environ.setdefault("AWS_REGION", "us-east-1")
    main()
