"""The state directory: whole files after any kill, logs read up to a torn last line, a version
marker, one server at a time, and no write once its endpoint has stopped."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localcloud import background, cli
from localcloud.cloudformation.state import StackRecord, StackState
from localcloud.endpoint.http import AwsRequest, HttpResponse
from localcloud.endpoint.journal import Journal, build_request
from localcloud.personalize.event_log import EventLog
from localcloud.statedir import (
    MARKER,
    STATE_VERSION,
    DirectoryBusy,
    IncompatibleState,
    StateDirectory,
    StateFenced,
    WholeFile,
    holder,
    replace_file,
)
from localcloud.statedir import lock as lock_module
from localcloud.statedir.files import PARTIAL_PREFIX
from localcloud.statedir.lock import DirectoryLock

REPOSITORY = Path(__file__).resolve().parents[2]
GUARD_SECONDS = 60.0  # only against a hang
TORN = b'{"StackId": "arn:aws:cloudformation:us-east-1:1234'  # a record a kill cut short


def contents(root: Path) -> dict[str, bytes]:
    """Every file under `root` but the lock (which a refused opening may create), with its bytes."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "lock"
    }


def run_python(source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=GUARD_SECONDS,
    )


# --- whole files ---------------------------------------------------------------------------------


def test_a_process_killed_between_the_write_and_the_rename_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "stacks.json"
    target.write_text('{"old": true}')
    # the process dies after the new content is written and synced aside, before it is renamed
    died = run_python(
        f"""
        import os
        from pathlib import Path
        from localcloud.statedir import files
        files.os.replace = lambda *_: os._exit(9)
        files.replace_file(Path({str(target)!r}), b'{{"new": true}}')
        """
    )

    assert died.returncode == 9, died.stderr
    assert json.loads(target.read_text()) == {"old": True}
    (left,) = [path for path in tmp_path.iterdir() if path.name.startswith(PARTIAL_PREFIX)]
    assert left.read_bytes() == b'{"new": true}'  # the new content went aside, never over the file
    # the next opening of the directory removes what the killed write left
    StateDirectory.open(tmp_path).close()
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["lock", MARKER, "stacks.json"])
    replace_file(target, b'{"new": true}')
    assert json.loads(target.read_text()) == {"new": True}


def test_a_failed_rename_keeps_the_old_file_and_leaves_nothing_aside(tmp_path, monkeypatch):
    target = tmp_path / "personalize.json"
    target.write_text("old")

    def refused(*_: Any) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr("localcloud.statedir.files.os.replace", refused)
    with pytest.raises(OSError, match="no space left"):
        replace_file(target, b"new")
    assert [path.name for path in tmp_path.iterdir()] == ["personalize.json"]
    assert target.read_text() == "old"


# --- append-only logs ----------------------------------------------------------------------------


def journal_log(directory: Path) -> tuple[Path, Callable[[], list[str]]]:
    journal = Journal(directory)
    for name in ("/a", "/b"):
        journal.record(build_request("ssm", "us-east-1", "POST", name, body=b"{}"))

    def replayed() -> list[str]:
        sent: list[str] = []

        def send(request: AwsRequest, seed: int | None) -> HttpResponse:
            sent.append(request.raw_path)
            return HttpResponse(200)

        Journal(directory).replay(send)
        return sent

    return directory / "journal.jsonl", replayed


def stack_events_log(directory: Path) -> tuple[Path, Callable[[], list[str]]]:
    state = StackState(directory / "stacks.json")
    record: StackRecord = {
        "stack_name": "Shop",
        "stack_id": "arn:aws:cloudformation:us-east-1:123456789012:stack/Shop/1",
        "template": {},
        "resources": {},
        "outputs": {},
        "exports": {},
        "creation_time": 0.0,
    }
    for status in ("CREATE_IN_PROGRESS", "CREATE_COMPLETE"):
        state.add_event(record, "Shop", record["stack_id"], "AWS::CloudFormation::Stack", status)

    def read() -> list[str]:
        events = StackState(directory / "stacks.json").events_of(record["stack_id"])
        return [event["ResourceStatus"] for event in events]

    return directory / "stacks-events.jsonl", read


def personalize_events_log(directory: Path) -> tuple[Path, Callable[[], list[str]]]:
    path = directory / "personalize-events.jsonl"
    for item in ("i1", "i2"):
        EventLog(path).append(
            [
                {
                    "datasetGroupArn": None,
                    "eventTrackerArn": "arn:aws:personalize:us-east-1:123456789012:event-tracker/0a1b",
                    "sessionId": "s",
                    "userId": None,
                    "event": {"itemId": item},
                    "recordedAt": 0.0,
                }
            ]
        )
    return path, lambda: [event["event"]["itemId"] for event in EventLog(path).events]


@pytest.mark.parametrize(
    ("make", "whole", "what"),
    [
        (journal_log, ["/a", "/b"], "moto's writes"),
        (stack_events_log, ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"], "the stack events"),
        (personalize_events_log, ["i1", "i2"], "Personalize's recorded events"),
    ],
    ids=["journal", "stack events", "personalize events"],
)
def test_a_torn_last_line_of_each_log_is_dropped_and_reported(tmp_path, caplog, make, whole, what):
    path, read = make(tmp_path)
    before = path.read_bytes()
    with path.open("ab") as log:  # what a kill in the middle of an append leaves
        log.write(TORN)

    with caplog.at_level(logging.WARNING, logger="localcloud.statedir"):
        assert read() == whole
    reported = f"{path}: the last of {what} was torn by a crash ({len(TORN)} bytes without an end of line): dropped"
    assert reported in caplog.text
    assert path.read_bytes() == before  # cut off: the next append starts a line of its own
    assert read() == whole


# --- the version marker --------------------------------------------------------------------------


def version_1_directory(root: Path) -> dict[str, bytes]:
    """A directory as the local cloud wrote it before markers, with what its killed writes left."""
    (root / "cloudformation" / "lambda-code" / ".unpacking-x1y2").mkdir(parents=True)
    (root / "aws" / "blobs").mkdir(parents=True)
    (root / "aws" / "blobs" / ".part-a1b2").write_bytes(b"half a blob")
    (root / "aws" / "journal.jsonl").write_text('{"service":"ssm"}\n')
    (root / "cloudformation" / "stacks.json").write_text('{"Shop": {"stack_name": "Shop"}}')
    (root / "cloudformation" / "stacks.tmp").write_text('{"Sh')
    (root / "personalize.json").write_text('{"dataset_groups": {}, "trackers": {}}')
    return {
        name: (root / name).read_bytes()
        for name in ("aws/journal.jsonl", "cloudformation/stacks.json", "personalize.json")
    }


def test_a_new_directory_is_marked_with_this_version(tmp_path):
    root = tmp_path / "new"
    StateDirectory.open(root).close()
    assert (root / MARKER).read_text() == f"{STATE_VERSION}\n"


@pytest.mark.parametrize("marker", [None, "1"], ids=["no marker, with state", "marker 1"])
def test_a_version_1_directory_is_migrated_its_state_kept_its_leftovers_removed(tmp_path, marker):
    kept = version_1_directory(tmp_path)
    if marker is not None:
        (tmp_path / MARKER).write_text(marker)

    StateDirectory.open(tmp_path).close()

    assert (tmp_path / MARKER).read_text() == f"{STATE_VERSION}\n"
    assert {name: (tmp_path / name).read_bytes() for name in kept} == kept
    assert not (tmp_path / "cloudformation" / "stacks.tmp").exists()
    assert list((tmp_path / "cloudformation" / "lambda-code").iterdir()) == []
    assert list((tmp_path / "aws" / "blobs").iterdir()) == []


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (
            "3",
            "the state in {root} was written by a newer local cloud (state version 3); this one reads versions "
            "up to 2. Run the checkout that wrote it, or move the directory away (mv {root} {root}.v3) to start "
            "with an empty local cloud here.",
        ),
        (
            "0",
            "the state in {root} has state version 0, which this local cloud cannot migrate (it reads versions "
            "1 to 2): move the directory away (mv {root} {root}.v0) to start with an empty local cloud here.",
        ),
        (
            "two",
            "{root}/state-version should hold the version of the state in {root}, and holds 'two': move the "
            "directory away (mv {root} {root}.unknown) to start with an empty local cloud here.",
        ),
    ],
    ids=["newer", "older than any migration", "unreadable"],
)
def test_a_directory_this_version_cannot_read_is_refused_untouched(tmp_path, marker, message):
    version_1_directory(tmp_path)
    (tmp_path / MARKER).write_text(marker)
    before = contents(tmp_path)

    with pytest.raises(IncompatibleState) as refused:
        StateDirectory.open(tmp_path)

    assert str(refused.value) == message.format(root=tmp_path)
    assert contents(tmp_path) == before
    assert holder(tmp_path) is None  # and the directory is not left held


def test_a_version_1_file_cut_short_by_a_kill_is_refused_not_half_read(tmp_path, capsys):
    version_1_directory(tmp_path)
    (tmp_path / "personalize.json").write_text('{"dataset_groups": {"arn:aws:personalize:us-e')
    before = contents(tmp_path)

    # as `serve` says it: a non-zero exit, before anything is served
    assert cli.main(["serve", "--port", "0", "--state-dir", str(tmp_path)]) == 1

    assert capsys.readouterr().err == (
        f"FAILED: {tmp_path}/personalize.json was cut short: the local cloud that wrote it (state version 1, "
        "which wrote it in place) was stopped while writing it. What it held cannot be read back: move the "
        f"directory away (mv {tmp_path} {tmp_path}.v1) to start with an empty local cloud here.\n"
    )
    assert contents(tmp_path) == before


# --- one server per directory, and the fence -----------------------------------------------------


def test_a_held_directory_is_refused_naming_its_holder_until_it_is_released(tmp_path):
    opened = StateDirectory.open(tmp_path)
    try:
        with pytest.raises(DirectoryBusy) as refused:
            StateDirectory.open(tmp_path)
        assert str(refused.value) == (
            f"the state directory {tmp_path} is in use by another local cloud (pid {os.getpid()}): stop it with "
            f"`python -m localcloud down --state-dir {tmp_path}`, or give this one another --state-dir"
        )
        assert holder(tmp_path) == os.getpid()
    finally:
        opened.close()
    assert holder(tmp_path) is None
    StateDirectory.open(tmp_path).close()


def test_a_lock_whose_holder_is_exiting_is_waited_for_so_kill_then_up_works(tmp_path, monkeypatch):
    # GIVEN the lock held by a process that is exiting: the pid it wrote no longer runs (a killed
    # server's main thread is a zombie, or gone, before its last thread has closed the lock)
    monkeypatch.setattr("localcloud.statedir.lock.EXITING_GRACE_SECONDS", 120.0)  # a hang guard only
    exited = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    holding = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys\n"
            f"fd = os.open({str(tmp_path / 'lock')!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            f"os.write(fd, b'{exited.stdout.strip()}\\n')\n"
            "print('held', flush=True)\n"
            "sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holding.stdout is not None and holding.stdin is not None
    assert holding.stdout.readline() == "held\n"
    letting_go = holding.stdin
    looked_at: list[int] = []
    running = lock_module.running

    def holder_running(pid: int) -> bool:
        # the opener found the lock held and looks at its holder: only now does the holder let go
        looked_at.append(pid)
        answer = running(pid)
        letting_go.close()
        holding.wait()
        return answer

    monkeypatch.setattr(lock_module, "running", holder_running)
    try:
        # WHEN a local cloud opens the directory THEN it waits for the lock instead of refusing it
        StateDirectory.open(tmp_path).close()
    finally:
        holding.kill()
        holding.wait()
    assert looked_at[:1] == [int(exited.stdout)]


def test_a_lock_held_by_a_running_process_is_refused_without_waiting_for_it(tmp_path, monkeypatch):
    monkeypatch.setattr("localcloud.statedir.lock.EXITING_GRACE_SECONDS", 3600.0)  # would hang if waited
    opened = StateDirectory.open(tmp_path)
    try:
        with pytest.raises(DirectoryBusy):
            StateDirectory.open(tmp_path)
    finally:
        opened.close()


def test_a_stopped_endpoints_writers_are_fenced_for_good(tmp_path):
    first = StateDirectory.open(tmp_path)
    stale = WholeFile(tmp_path / "personalize.json")
    stale.write_json({"by": "first"})
    first.close()

    with pytest.raises(StateFenced):  # a SystemExit: the thread that meets it ends quietly
        stale.write_json({"by": "a thread of the stopped endpoint"})
    second = StateDirectory.open(tmp_path)
    try:
        WholeFile(tmp_path / "personalize.json").write_json({"by": "second"})
        with pytest.raises(StateFenced):
            stale.write_json({"by": "a thread of the stopped endpoint"})
    finally:
        second.close()
    assert json.loads((tmp_path / "personalize.json").read_text()) == {"by": "second"}


def test_up_refuses_a_directory_held_by_a_server_that_does_not_answer_and_touches_nothing(tmp_path):
    (tmp_path / background.ENDPOINT_FILE).write_text('{"url": "http://127.0.0.1:9", "pid": 1}')
    lock = DirectoryLock.acquire(tmp_path)
    try:
        before = contents(tmp_path)
        with pytest.raises(DirectoryBusy, match=f"in use by another local cloud \\(pid {os.getpid()}\\)"):
            background.start(tmp_path, port=0)
        assert contents(tmp_path) == before
    finally:
        lock.release()


def test_down_stops_a_server_that_holds_its_directory_without_answering(tmp_path):
    silent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from localcloud.statedir.lock import DirectoryLock\n"
            f"DirectoryLock.acquire(Path({str(tmp_path)!r}))\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",  # until its stdin closes: never, unless the test fails
        ],
        cwd=REPOSITORY,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert silent.stdout is not None and silent.stdout.readline() == "held\n"
        assert background.stop(tmp_path) is True
        assert silent.wait(timeout=GUARD_SECONDS) == -signal.SIGTERM
        assert holder(tmp_path) is None
    finally:
        silent.kill()
        silent.wait()


def test_a_stop_whose_step_hangs_still_ends_the_process_saying_so(tmp_path, monkeypatch, capsys, caplog):
    # GIVEN an endpoint whose halt never returns (a step stuck on a busy machine)
    stuck = threading.Event()

    class StuckEndpoint:
        def halt(self) -> None:
            stuck.wait()

    ended: list[int] = []

    def exit_process(status: int) -> None:
        ended.append(status)
        raise SystemExit(status)

    # the stop's thread stays stuck (a daemon): it never reaches this worker's Lambda environments
    monkeypatch.setattr(cli, "HALT_GUARD_SECONDS", 0.2)
    monkeypatch.setattr(os, "_exit", exit_process)

    # WHEN serve stops
    with pytest.raises(SystemExit), caplog.at_level(logging.ERROR):
        cli._halt(StuckEndpoint(), tmp_path, 0)  # type: ignore[arg-type]

    # THEN the process ends anyway, failed, saying which step was stuck
    assert ended == [1]
    assert "Local cloud stopped." in capsys.readouterr().out
    assert "the local cloud's stop was still halting the endpoint after 0.2 s" in caplog.text
