"""One local cloud per test worker for the journeys through the real CDK CLI.

A journey (tests/e2e/test_cdk_cli.py, test_cdk_cli_direct.py, test_outside_app.py,
test_whole_app.py) runs the pinned CDK CLI against `python -m localcloud serve`, as a user's shell
reaches it. The `cli_cloud` fixture starts that process once per pytest worker (a session fixture
runs once per xdist worker), when the worker's first journey asks for it, and the worker's later
journeys use the same cloud. It is not bootstrapped with the CLI: the local cloud starts
bootstrapped, and `cdk deploy` needs nothing more, as the README tells users. The production-shell
journey runs `cdk bootstrap` itself, so a worker's later journeys may find a CDKToolkit stack, and
others do not: both are a user's cloud.

Sharing stays honest because no journey depends on what another did or left:

- each journey deploys stacks of its own and names every resource it makes with names no other
  journey uses (its stack name and a prefix of its own: `tests/e2e/apps/variants.py` takes
  both as context), so what a failed journey leaves behind cannot change another's outcome;
- every check that nothing is left is scoped to the journey's own names, never the whole cloud;
- the serving process is one, so a journey finds it serving or is told it died (`serve.log`).

Tests that need a cloud of their own keep starting one: a restart, faults set when it starts,
and `python -m localcloud demo`, which starts its own as a user's `make demo` does and counts what
its whole cloud holds after `cdk destroy`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localcloud import background
from localcloud.cdk_cli import run_cdk
from localcloud.local_env import local_client

# Only against a hang: a CLI command of a journey takes seconds to a minute.
CLI_GUARD_SECONDS = 600


def cdk(
    args: Sequence[str],
    url: str,
    home: Path,
    *,
    cwd: Path | None = None,
    inherited: Mapping[str, str] | None = None,
    succeed: bool = True,
) -> str:
    """`cdk <args>` against the local cloud at `url`, which must succeed (or fail, `succeed=False`);
    what it printed, both streams."""
    result = run_cdk(
        list(args), url, home, cwd=cwd, inherited=inherited, capture_output=True, timeout=CLI_GUARD_SECONDS
    )
    output = result.stdout + result.stderr
    assert (result.returncode == 0) == succeed, f"cdk {' '.join(args)} exited {result.returncode}:\n{output}"
    return output


@dataclass(frozen=True)
class CliCloud:
    """A running local cloud that this worker's CLI journeys share."""

    url: str
    state_dir: Path

    def client(self, service: str) -> Any:
        return local_client(service, self.url)


@pytest.fixture(scope="session")
def shared_cli_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliCloud]:
    root = tmp_path_factory.mktemp("cli-cloud")
    with background.serving(root / "state", delays="fast") as cloud:
        yield CliCloud(cloud.url, root / "state")


@pytest.fixture
def cli_cloud(shared_cli_cloud: CliCloud) -> CliCloud:
    """This worker's shared local cloud, checked to be still serving before a journey starts."""
    if background.running(shared_cli_cloud.state_dir) is None:
        log = shared_cli_cloud.state_dir / background.LOG_FILE
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log.exists() else "(no log)"
        pytest.fail(f"the worker's shared local cloud no longer serves; the end of {log}:\n{tail}")
    return shared_cli_cloud
