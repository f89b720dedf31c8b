"""How the local cloud starts an environment's process: through a zygote (`zygote.py`), a process of
the runtime's Python that has imported boto3 once, and forks each Python environment from that
warm template (or forks and execs one, Node.js's and any that a fork would not run faithfully).

`spawner_for(interpreter)` is this process's zygote on that interpreter, started at first use (and
again if it ever ends; `spawn` asks the one there is, and a new one if that one turns out to have
ended). `Spawner.spawn` asks it for a child, handing it the write end of the
environment's output pipe over the unix socket (SCM_RIGHTS), and answers a `Child`, which stands
where a `subprocess.Popen` stood: its pid, its exit code once the zygote has reported it (negative:
the signal), `wait()` and `kill()` (a request to the zygote, which kills the child's process group
while the child is not yet reaped, so a pid reused since is never hit).

The environments cannot outlive this process: the zygote reads the socket's end (this process
gone, however it ended, SIGKILL included) as the order to kill every child and exit, and each
child gets PR_SET_PDEATHSIG from the zygote's single thread, so it dies with the zygote too. (Not
from this process: PR_SET_PDEATHSIG fires when the forking *thread* ends, and environments are
started from worker threads.)
"""

from __future__ import annotations

import array
import atexit
import contextlib
import itertools
import json
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ZYGOTE = Path(__file__).resolve().parent / "zygote.py"
# What Lambda's Python runtimes provide, and a function's Init would import (boto3), and the services
# whose botocore models the zygote parses for its children: those the library's provider and the
# example app's functions make clients of. Another service's client reads its model as usual.
PRELOAD = ("boto3", "botocore:personalize", "botocore:personalize-events")
# the zygote's own variables, Lambda's values for what an interpreter reads at its start: a function
# that sets these otherwise gets a fresh interpreter (`zygote.py`)
ZYGOTE_VARIABLES = {"LANG": "C.UTF-8", "TZ": ":UTC", "PATH": "/usr/local/bin:/usr/bin:/bin"}
STOP_SECONDS = 10.0


class SpawnError(OSError):
    """The zygote could not start a child (or has ended)."""


class Child:
    """A child of the zygote, as the local cloud sees it: what a `subprocess.Popen` told."""

    def __init__(self, spawner: Spawner, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._spawner = spawner
        self._ended = threading.Event()

    def wait(self, timeout: float | None = None) -> int | None:
        """Its exit code once it has ended and been reaped (None if `timeout` passed first)."""
        self._ended.wait(timeout)
        return self.returncode

    def poll(self) -> int | None:
        return self.returncode

    def kill(self) -> None:
        """SIGKILL to its process group, unless it has ended already."""
        if not self._ended.is_set():
            self._spawner.kill(self.pid)

    def ended(self, code: int) -> None:
        if not self._ended.is_set():
            self.returncode = code
            self._ended.set()


class _Reply:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.child: Child | None = None
        self.error = ""


class Spawner:
    """One zygote process and the local cloud's end of its socket."""

    def __init__(self, interpreter: Path, preload: Sequence[str] = PRELOAD) -> None:
        # the environments' temporary directories are made under it; whichever of the zygote and
        # this process sees the other end removes it
        self.root = tempfile.mkdtemp(prefix="localcloud-lambda-")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(
                [str(interpreter), "-s", "-B", str(ZYGOTE), str(theirs.fileno()), self.root, *preload],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                # no terminal's Ctrl-C reaches it: the local cloud decides when its functions end
                start_new_session=True,
                env=ZYGOTE_VARIABLES,
                cwd="/",
            )
        finally:
            theirs.close()
        self.interpreter = interpreter
        self._socket = ours
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()  # the tables below; never held while sending
        self._pending: dict[int, _Reply] = {}
        self._children: dict[int, Child] = {}
        self._ids = itertools.count(1)
        self.ended = threading.Event()
        threading.Thread(target=self._read, name="lambda-zygote", daemon=True).start()

    def spawn(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        output: int,
        module: str | None = None,
        args: Sequence[str] = (),
    ) -> Child:
        """A child whose stdout and stderr are `output`, in `cwd`, with the variables `env` and no
        others: `module` (with `args`) run in a fork of the warm zygote when it can be run there as
        `argv` would run it, `argv` exec'd otherwise. `output` stays open here; the child has its own."""
        reply = _Reply()
        with self._lock:
            request_id = next(self._ids)
            self._pending[request_id] = reply
        request = {"spawn": request_id, "argv": list(argv), "cwd": str(cwd), "env": dict(env)}
        if module is not None:
            request.update(module=module, args=list(args))
        try:
            self._send(request, fds=[output])
        except SpawnError:
            with self._lock:
                self._pending.pop(request_id, None)
            raise
        reply.done.wait()
        if reply.child is None:
            raise SpawnError(reply.error)
        return reply.child

    def kill(self, pid: int) -> None:
        with contextlib.suppress(SpawnError):  # an ended zygote took its children with it
            self._send({"kill": pid})

    def close(self) -> None:
        """End the zygote, and so every child it has; wait for it."""
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self.ended.wait(STOP_SECONDS)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(STOP_SECONDS)

    def _send(self, message: dict[str, Any], fds: Sequence[int] = ()) -> None:
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        with self._send_lock:
            if self.ended.is_set():
                raise SpawnError("the Lambda runtime's zygote has ended")
            try:
                self._socket.sendmsg([json.dumps(message).encode()], ancillary)
            except OSError as error:
                self.ended.set()  # before its reader sees the end: no one asks this one again
                raise SpawnError(f"the Lambda runtime's zygote has ended: {error}") from error

    def _read(self) -> None:
        while True:
            try:
                data = self._socket.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._lost()
                return
            message = json.loads(data)
            if "exited" in message:
                with self._lock:
                    child = self._children.pop(message["exited"], None)
                if child is not None:
                    child.ended(int(message["code"]))
            elif "spawned" in message:
                with self._lock:
                    reply = self._pending.pop(message["spawned"])
                    if "pid" in message:
                        reply.child = self._children[message["pid"]] = Child(self, message["pid"])
                reply.error = str(message.get("error", ""))
                reply.done.set()

    def _lost(self) -> None:
        """The zygote has ended: its children die with it (PR_SET_PDEATHSIG), and nothing waits on them."""
        with self._send_lock:
            self.ended.set()
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
            children, self._children = list(self._children.values()), {}
        for reply in pending:
            reply.error = "the Lambda runtime's zygote ended before it answered"
            reply.done.set()
        for child in children:
            child.ended(-signal.SIGKILL)
        with contextlib.suppress(OSError):
            self._socket.close()
        shutil.rmtree(self.root, ignore_errors=True)


_SPAWNERS: dict[Path, Spawner] = {}
_SPAWNERS_LOCK = threading.Lock()


def spawner_for(interpreter: Path) -> Spawner:
    """This process's zygote on `interpreter`, started now if it has none (or its last one ended)."""
    with _SPAWNERS_LOCK:
        spawner = _SPAWNERS.get(interpreter)
        if spawner is None or spawner.ended.is_set():
            spawner = _SPAWNERS[interpreter] = Spawner(interpreter)
        return spawner


def spawn(
    interpreter: Path,
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    output: int,
    module: str | None = None,
    args: Sequence[str] = (),
) -> Child:
    """`Spawner.spawn` by this process's zygote on `interpreter`; a zygote found to have ended (killed,
    say) is replaced, once, by a new one."""

    def ask(spawner: Spawner) -> Child:
        return spawner.spawn(argv, cwd=cwd, env=env, output=output, module=module, args=args)

    first = spawner_for(interpreter)
    try:
        return ask(first)
    except SpawnError:
        if not first.ended.is_set():
            raise
    return ask(spawner_for(interpreter))


@atexit.register
def _close_all() -> None:
    """At exit, each zygote ends with its children (a process that ends without this, ends them too)."""
    with _SPAWNERS_LOCK:
        spawners = list(_SPAWNERS.values())
        _SPAWNERS.clear()
    for spawner in spawners:
        spawner.close()
