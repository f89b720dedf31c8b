"""Write bench/RESULTS.md and bench/results.png from the figures in bench/results/.

python -m bench.report
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, Node.js {node}, "
        f"aws-cdk-lib {version('aws-cdk-lib')}, boto3 {version('boto3')}, crhelper {version('crhelper')}"
    )


def mark(ok: bool) -> str:
    return "yes" if ok else "**no**"


def stabilization_section(data: dict[str, Any]) -> list[str]:
    labels = data["labels"]
    lines = [
        "## Stabilization latency (local cloud)",
        "",
        "Seconds from the tracker's state change (ACTIVE, or gone) to the answer's arrival at the",
        "ResponseURL, and DescribeEventTracker calls per wait; a tracker that needs W seconds, "
        f"{data['rows'][0]['runs']} runs each, run i waiting W + i s so the change falls at every phase of a",
        "poller's cycle. All runs of one handler go at once. Command: `python -m bench.stabilization`.",
        "",
        "| handler | request | W (s) | median (s) | max (s) | Describe calls | within 3 + W/2 |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in data["rows"]:
        lines.append(
            f"| {labels[row['peer']]} | {row['operation']} | {row['wait']:g} | {row['median']:.2f} | "
            f"{row['max']:.2f} | {row['describes']:g} | {mark(row['describes'] <= row['describe_budget'])} |"
        )
    ours = [r for r in data["rows"] if r["peer"] == "this"]
    creates = [r for r in ours if r["operation"] == "Create"]
    deletes = [r for r in ours if r["operation"] == "Delete"]
    lines += [
        "",
        "Goals for this handler:",
        f"- create median <= 0.5 s: {mark(all(r['median'] <= 0.5 for r in creates))} "
        "(" + ", ".join(f"W={r['wait']:g}: {r['median']:.2f}" for r in creates) + ")",
        f"- create max <= 2 s: {mark(all(r['max'] <= 2 for r in creates))}",
        f"- delete <= 2 s: {mark(all(r['max'] <= 2 for r in deletes))}",
        f"- Describe calls <= 3 + W/2: {mark(all(r['describes'] <= r['describe_budget'] for r in ours))}",
        "",
    ]
    return lines


def synthesis_section(data: dict[str, Any]) -> list[str]:
    runs = data["rows"][0].get("runs", 5)
    lines = [
        "## Synthesis",
        "",
        f"`python app.py` wall time over {runs} interleaved runs (every approach and size once per round)",
        "and template bytes, for N dataset groups, each with a tracker and its exported trackingId",
        "output. Command: `python -m bench.synthesis`.",
        "",
        "| approach | trackers | min (s) | median (s) | max (s) | median x native | template bytes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["rows"]:
        lines.append(
            f"| {row['kind']} | {row['trackers']} | {row['min']:.2f} | {row['median']:.2f} | {row['max']:.2f} "
            f"| {row['wall_ratio']:.2f} | {row['bytes']} |"
        )
    per = data["bytes_per_tracker"]
    worst = max(r["wall_ratio"] for r in data["rows"] if r["kind"] == "construct")
    lines += [
        "",
        "Template bytes per extra tracker: "
        + ", ".join(f"{kind} {value:.0f} ({value / per['native']:.2f}x native)" for kind, value in per.items()),
        "",
        f"- median wall <= 1.15x native at every size: {mark(worst <= 1.15)} (worst {worst:.2f}x)",
        f"- bytes per extra tracker <= 1.5x native: {mark(per['construct'] / per['native'] <= 1.5)}",
        "",
    ]
    return lines


def synthesis_profile_section(data: dict[str, Any]) -> list[str]:
    lines = [
        "### Where synthesis time goes",
        "",
        "Each phase of one `python app.py` in a fresh interpreter (median of the runs), and the jsii",
        "round trips (Python to the Node.js kernel) each tracker costs. Command: `python -m bench.synthesis_profile`.",
        "",
        "| app | import (s) | app and groups (s) | trackers (s) | app.synth() (s) | ms/tracker | round trips/tracker |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, entry in data.items():
        trips = sum(entry["round_trips_per_tracker"].values())
        lines.append(
            f"| {key} | {entry['import_s']:.3f} | {entry['app_and_groups_s']:.3f} | {entry['construction_s']:.3f} "
            f"| {entry['synth_s']:.3f} | {entry['construction_ms_per_tracker']:.2f} | {trips:.1f} |"
        )
    largest = max((key for key in data if key.startswith("construct/")), key=lambda key: int(key.split("/")[1]))
    lines += ["", f"Heaviest functions while the trackers of `{largest}` are built (cProfile, cumulative):", ""]
    for function in data[largest]["top_functions"][:8]:
        where = function["function"].split("site-packages/")[-1].split("/work/")[-1]
        lines.append(f"- {function['cumulative_s']:.3f} s, {function['calls']} calls: `{where}`")
    lines.append("")
    return lines


def asset_section(data: dict[str, Any]) -> list[str]:
    return [
        "## The asset",
        "",
        f"{data['files']} files, {data['bytes']} bytes ({data['zip_bytes']} zipped). Cold import in the runtime venv",
        "(boto3 only), beyond an empty interpreter, median of fresh processes: "
        f"`import boto3` {data['import_boto3_s']:.3f} s, the handler {data['import_handler_s']:.3f} s "
        f"({data['ratio']:.2f}x; goal <= 1.2x: {mark(data['ratio'] <= 1.2)}). Command: `python -m bench.asset`.",
        "",
    ]


def scale_section(data: dict[str, Any]) -> list[str]:
    limits = ", ".join(
        f"{operation} {limit['rate']:g}/s (burst {limit['burst']:g})" for operation, limit in data["limits"].items()
    )
    lines = [
        "## Scale under rate limits (local cloud)",
        "",
        f"N trackers in one stack, created and then deleted at once, with {limits} and the `demo` delays",
        "(ACTIVE 2 s after the create, gone 1.3 s after the delete). A phase runs from its first request",
        "to Personalize (CreateEventTracker, DeleteEventTracker) to the last tracker's completion in",
        "CloudFormation. Its floor is what a perfect client would need: for",
        "creates (N - burst) / rate + the time to ACTIVE; for deletes one Describe per tracker that finds",
        "it gone, (N - burst) / rate after the time to be gone. Throttled: calls refused by a rate limit,",
        "per tracker, over both phases. Command: `python -m bench.scale`.",
        "",
        "| trackers | create (s) | floor (s) | x floor | delete (s) | floor (s) | x floor | throttled per tracker |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["rows"]:
        lines.append(
            f"| {row['trackers']} | {row['create_s']:.1f} | {row['create_floor_s']:.1f} | {row['create_ratio']:.2f} | "
            f"{row['delete_s']:.1f} | {row['delete_floor_s']:.1f} | {row['delete_ratio']:.2f} | "
            f"{row['throttled_per_tracker']:.2f} |"
        )
    lines += ["", "Throttled calls by operation:", ""]
    for row in data["rows"]:
        lines.append(
            f"- {row['trackers']} trackers: creating {row['throttled_create'] or 'none'}, "
            f"deleting {row['throttled_delete'] or 'none'}"
        )
    rows = data["rows"]
    lines += [
        "",
        "Goals:",
        f"- create phase within 1.3x the floor: {mark(all(r['create_ratio'] <= 1.3 for r in rows))} "
        "(" + ", ".join(f"N={r['trackers']}: {r['create_ratio']:.2f}x" for r in rows) + ")",
        f"- at most 5 throttled calls per tracker: {mark(all(r['throttled_per_tracker'] <= 5 for r in rows))} "
        "(" + ", ".join(f"N={r['trackers']}: {r['throttled_per_tracker']:.2f}" for r in rows) + ")",
        "",
        "![scale](scale.png)",
        "",
    ]
    return lines


def plot_scale(data: dict[str, Any]) -> None:
    rows = data["rows"]
    sizes = [r["trackers"] for r in rows]
    figure, (times, throttled) = plt.subplots(1, 2, figsize=(11, 4.2))
    times.plot(sizes, [r["create_s"] for r in rows], "o-", label="create phase")
    times.plot(sizes, [r["create_floor_s"] for r in rows], "o--", label="create floor")
    times.plot(sizes, [r["delete_s"] for r in rows], "s-", label="delete phase")
    times.plot(sizes, [r["delete_floor_s"] for r in rows], "s--", label="delete floor")
    times.set_xlabel("trackers in the stack")
    times.set_ylabel("seconds")
    times.set_title("Phase wall time against the rate-limit floor")
    times.grid(alpha=0.3)
    times.legend(fontsize=8)
    throttled.bar([str(n) for n in sizes], [r["throttled_per_tracker"] for r in rows])
    throttled.axhline(5, color="grey", linestyle="--", label="goal: at most 5")
    throttled.set_xlabel("trackers in the stack")
    throttled.set_title("Throttled calls per tracker (create + delete)")
    throttled.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(BENCH / "scale.png", dpi=110)


def cli_section(data: dict[str, Any]) -> list[str]:
    return [
        "## The example through the real CDK CLI",
        "",
        f'Medians of {data["rounds"]} rounds against `python -m localcloud up`, status delays "demo" in both columns.',
        "The CLI's figures include what the CLI does around the stack operation: synthesis, publishing the asset",
        "and the template, the change set, and its own polling (events every 2 s, the stack every 5 s).",
        "",
        "| step | `cdk` CLI | stack engine directly |",
        "|---|---:|---:|",
        f"| deploy | {data['cli_deploy']:.1f} s | {data['direct_deploy']:.1f} s |",
        f"| destroy | {data['cli_destroy']:.1f} s | {data['direct_destroy']:.1f} s |",
        "",
        "`make demo` once set up (a local cloud started, `cdk bootstrap`, `cdk deploy`, an event, `cdk destroy`,",
        f"stopped): {data['make_demo_s']:.0f} s (goal <= 60 s: {mark(data['make_demo_s'] <= 60)}).",
        "Command: `python -m bench.cli`.",
        "",
    ]


def project_section(data: dict[str, Any]) -> list[str]:
    fresh = data["fresh_clone_make_test_s"]
    runs = data.get("runs", [])
    spread = f" (the median of {', '.join(f'{run:.0f}' for run in runs)} s)" if len(runs) > 1 else ""
    return [
        "## The project",
        "",
        f"`make test` in a fresh clone, pip's and npm's caches warm: {fresh:.0f} s{spread} (goal <= 240 s:",
        f"{mark(fresh <= 240)}), with CI=true, as `.ci/run` runs it. Command: `python -m bench.project`.",
        "",
    ]


def load_text(figure: dict[str, Any]) -> str:
    before, after = figure["load_before"][0], figure["load_after"][0]
    return f"load average {before:.1f} before, {after:.1f} after"


def runs_text(figure: dict[str, Any]) -> str:
    runs = figure.get("runs", [])
    return f", the median of {', '.join(f'{seconds:.0f}' for seconds in runs)} s" if len(runs) > 1 else ""


def suite_section(data: dict[str, Any]) -> list[str]:
    test, check = data["make_test"], data["make_check"]
    lines = [
        "## The test suite",
        "",
        f"Once set up, on {data['cores']} cores, with CI=true:",
        "",
        f"- `make test` {test['seconds']:.0f} s (goal <= 120 s: {mark(test['seconds'] <= 120)}){runs_text(test)};"
        f" {load_text(test)};",
        f"- `make check` {check['seconds']:.0f} s (goal <= 30 s: {mark(check['seconds'] <= 30)}){runs_text(check)};"
        f" {load_text(check)}.",
        "",
        "Each the median run, the load around it; a load average above the cores means other work shared them. The"
        " suite's ten slowest tests of the last run",
        "(setup, call and teardown, from `.make/suite.xml`). Command: `python -m bench.suite`.",
        "",
        "| seconds | test |",
        "|---:|---|",
    ]
    lines += [f"| {case['seconds']:.1f} | `{case['test']}` |" for case in data["slowest"]]
    return [*lines, ""]


def plot(data: dict[str, Any]) -> None:
    rows = data["rows"]
    peers = list(dict.fromkeys(r["peer"] for r in rows))
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharey=True)
    for axis, operation in zip(axes, ["Create", "Delete"], strict=True):
        waits = sorted({r["wait"] for r in rows if r["operation"] == operation})
        width = 0.8 / len(peers)
        for index, peer in enumerate(peers):
            values = {r["wait"]: r["median"] for r in rows if r["peer"] == peer and r["operation"] == operation}
            positions = [w_index + index * width for w_index, wait in enumerate(waits) if wait in values]
            heights = [max(values[wait], 0.01) for wait in waits if wait in values]
            if heights:
                axis.bar(positions, heights, width, label=data["labels"][peer])
        axis.set_xticks([i + 0.4 - width / 2 for i in range(len(waits))], [f"W = {w:g} s" for w in waits])
        axis.set_title(f"{operation}: state change to answer (median)")
        axis.set_yscale("log")
        axis.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("seconds (log scale)")
    handles, labels = axes[1].get_legend_handles_labels()
    figure.legend(handles, labels, fontsize=8, loc="lower center", ncol=2)
    figure.tight_layout(rect=(0, 0.12, 1, 1))
    figure.savefig(BENCH / "results.png", dpi=110)


def readme_summary() -> list[str]:
    """The headline figures, for the README."""
    lines = []
    stabilization, synthesis, asset = load("stabilization"), load("synthesis"), load("asset")
    if stabilization is not None:
        lines += [
            "| handler | Create W=1/5/30 s: median latency | Delete W=1/5/30 s | Describe calls, W=30 |",
            "|---|---|---|---:|",
        ]
        for peer, label in stabilization["labels"].items():
            rows = [r for r in stabilization["rows"] if r["peer"] == peer]

            def cell(operation: str, rows: list[dict[str, Any]] = rows) -> str:
                found = [f"{r['median']:.1f}" for r in rows if r["operation"] == operation]
                return " / ".join(found) + " s" if found else "-"

            describes = [r["describes"] for r in rows if r["wait"] == 30 and r["operation"] == "Create"]
            lines.append(f"| {label} | {cell('Create')} | {cell('Delete')} | {describes[0] if describes else '-'} |")
        lines.append("")
    if synthesis is not None:
        ratios = {r["trackers"]: r["wall_ratio"] for r in synthesis["rows"] if r["kind"] == "construct"}
        per = synthesis["bytes_per_tracker"]
        lines.append(
            "Synthesis, this construct against the native `CfnEventTracker`: wall time "
            + ", ".join(f"{ratio:.2f}x ({n} trackers)" for n, ratio in ratios.items())
            + f"; template bytes per extra tracker {per['construct'] / per['native']:.2f}x "
            f"(`AwsCustomResource`: {per['awscustomresource'] / per['native']:.2f}x)."
        )
    scale = load("scale")
    if scale is not None:
        lines.append(
            "Under rate limits (CreateEventTracker 2/s), a stack's trackers created at once finish within "
            + ", ".join(f"{r['create_ratio']:.2f}x ({r['trackers']})" for r in scale["rows"])
            + " of the rate-limit floor, with "
            + ", ".join(f"{r['throttled_per_tracker']:.1f}" for r in scale["rows"])
            + " throttled calls per tracker."
        )
    cli = load("cli")
    if cli is not None:
        lines.append(
            f"Through the real CDK CLI on the local cloud: `cdk deploy` of the example {cli['cli_deploy']:.1f} s "
            f"(the engine alone {cli['direct_deploy']:.1f} s), `cdk destroy` {cli['cli_destroy']:.1f} s "
            f"({cli['direct_destroy']:.1f} s); `make demo` {cli['make_demo_s']:.0f} s once set up."
        )
    project, suite = load("project"), load("suite")
    if suite is not None:
        fresh = (
            f", {project['fresh_clone_make_test_s']:.0f} s from a fresh clone (pip's and npm's caches warm)"
            if project is not None
            else ""
        )
        lines.append(
            f"`make test` takes {suite['make_test']['seconds']:.0f} s once set up{fresh}; `make check` "
            f"{suite['make_check']['seconds']:.0f} s."
        )
    if asset is not None:
        lines.append(
            f"The asset: {asset['files']} files, {asset['zip_bytes']} bytes zipped; its cold import takes "
            f"{asset['ratio']:.1f}x `import boto3` (crhelper's own clients and ours)."
        )
    return lines


def update_readme(summary: list[str]) -> None:
    readme = BENCH.parent / "README.md"
    text = readme.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    readme.write_text(before + start + "\n" + "\n".join(summary) + "\n" + end + after)


def main() -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.date.today().isoformat()} with `make bench`, all in one run on one machine: {machine()}.",
        "Figures from one machine; compare the rows with each other, not with other machines.",
        "",
    ]
    sections = [
        ("stabilization", stabilization_section),
        ("synthesis", synthesis_section),
        ("synthesis_profile", synthesis_profile_section),
        ("scale", scale_section),
        ("asset", asset_section),
        ("cli", cli_section),
        ("project", project_section),
        ("suite", suite_section),
    ]
    for name, render in sections:
        data = load(name)
        if data is not None:
            lines += render(data)
    (BENCH / "RESULTS.md").write_text("\n".join(lines))
    stabilization = load("stabilization")
    if stabilization is not None:
        plot(stabilization)
    scale = load("scale")
    if scale is not None:
        plot_scale(scale)
    update_readme(readme_summary())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
