"""The example app through the real CDK CLI against the local cloud, beside the direct engine path.

For each of 3 rounds, on the same machine, with the same status delays ("demo"):
- CLI: `cdk deploy` (synthesis, asset and template publishing, change set, execution, the CLI's
  polling) and `cdk destroy --force` of the example, against `python -m localcloud up`;
- direct: the stack engine deploying and destroying the assembly the CLI synthesized, in process
  (what `make demo` did before the CLI ran it);
then `make demo` once set up, timed whole.

    python -m bench.cli
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from localcloud import background
from localcloud.cdk_cli import REPOSITORY, run_cdk
from localcloud.cloudformation.assembly import find_stack
from localcloud.endpoint import Endpoint
from localcloud.personalize import DELAY_PRESETS, Personalize

BENCH = Path(__file__).resolve().parent
STACK = "PersonalizeEventTrackerDemo"
ROUNDS = 3


def timed_cdk(args: list[str], url: str, home: Path) -> float:
    started = time.perf_counter()
    result = run_cdk(args, url, home, cwd=REPOSITORY, capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"cdk {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return time.perf_counter() - started


def cli_round(scratch: Path) -> tuple[float, float]:
    with background.serving(scratch / "state", delays="demo") as cloud:
        home = scratch / "home"
        deploy = timed_cdk(
            ["deploy", STACK, "--require-approval", "never", "-o", str(scratch / "cdk.out")], cloud.url, home
        )
        destroy = timed_cdk(["destroy", STACK, "--force", "-o", str(scratch / "cdk.out")], cloud.url, home)
    return deploy, destroy


def direct_round(assembly: Path, scratch: Path) -> tuple[float, float]:
    service = Personalize(delays=DELAY_PRESETS["demo"], state_file=scratch / "personalize.json")
    with Endpoint(state_dir=scratch / "direct", personalize=service) as endpoint:
        engine = endpoint.cloudformation.engine
        started = time.perf_counter()
        engine.deploy(find_stack(assembly, STACK))
        deployed = time.perf_counter()
        engine.destroy(STACK)
        destroyed = time.perf_counter()
        engine.wait_for_invocations()
    return deployed - started, destroyed - deployed


def main() -> None:
    rows: dict[str, list[float]] = {"cli_deploy": [], "cli_destroy": [], "direct_deploy": [], "direct_destroy": []}
    for index in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="bench-cli-") as scratch:
            deploy, destroy = cli_round(Path(scratch))
            rows["cli_deploy"].append(deploy)
            rows["cli_destroy"].append(destroy)
            # the assembly the CLI synthesized in this round, deployed by the engine directly
            deploy, destroy = direct_round(Path(scratch) / "cdk.out", Path(scratch))
            rows["direct_deploy"].append(deploy)
            rows["direct_destroy"].append(destroy)
        print(f"round {index + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in rows.items()), flush=True)
    started = time.perf_counter()
    subprocess.run(["make", "demo"], cwd=REPOSITORY, check=True, capture_output=True)
    demo = time.perf_counter() - started
    result: dict[str, object] = {name: statistics.median(values) for name, values in rows.items()}
    result |= {"rounds": ROUNDS, "make_demo_s": demo, "samples": rows}
    median = {name: statistics.median(values) for name, values in rows.items()}
    print(
        f"cdk deploy {median['cli_deploy']:.1f} s (direct {median['direct_deploy']:.1f} s), "
        f"cdk destroy {median['cli_destroy']:.1f} s (direct {median['direct_destroy']:.1f} s), "
        f"make demo {demo:.1f} s; medians of {ROUNDS}"
    )
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "cli.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
