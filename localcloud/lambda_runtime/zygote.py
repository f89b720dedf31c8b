"""The zygote: a warm template process that starts execution environments for the local cloud.

A program of its own, run on a runtime's Python (never imported by the local cloud):

    python -s -B zygote.py CONTROL_FD ROOT [PRELOAD ...]

It imports the PRELOAD modules (boto3: the import a function's Init would otherwise pay each
time) and parses botocore's data for each `botocore:SERVICE` entry of PRELOAD, then serves
requests on the unix socket CONTROL_FD (SOCK_SEQPACKET, one JSON message per packet), one at a
time on its only thread:

- `{"spawn": id, "argv": [...], "cwd": ..., "env": {...}, "module": ..., "args": [...]}`, with the
  environment's output pipe passed as SCM_RIGHTS: a child whose stdout and stderr are that pipe,
  whose stdin is /dev/null, whose working directory is `cwd` and whose variables are `env` and
  nothing else (plus `TMPDIR`, a directory of its own under ROOT, unless `env` names one). With `module`, the
  child is a fork of this process that runs the module as `python -s -B -m module args...` would;
  otherwise, or whenever a fresh interpreter could behave differently (`_fork_differs`), it execs
  `argv`. Answered `{"spawned": id, "pid": pid}` or `{"spawned": id, "error": ...}`.
- `{"kill": pid}`: SIGKILL to that child's process group, while the child is not yet reaped (its
  pid cannot have been reused).

Each child leads a process group of its own, and gets PR_SET_PDEATHSIG (SIGKILL) from this
single-threaded process, so it dies with the zygote however the zygote ends. A child's end is
reported `{"exited": pid, "code": ...}` (negative: the signal), once what remained of its group
has been killed, it has been reaped and its temporary directory removed. When the socket ends
(the local cloud stopped, or died by SIGKILL), every child's group is killed, ROOT is removed, and
the zygote exits.

Nothing of a request is ever printed: its variables may hold secrets.
"""

from __future__ import annotations

import os
import sys

# `python zygote.py` puts this file's folder first on the path: its siblings are the local cloud's
# modules, which no function may import
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

import array  # the rest after the path is cleaned
import contextlib
import ctypes
import gc
import importlib
import json
import runpy
import select
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1
# a PRELOAD entry `botocore:SERVICE` names a service whose models the zygote parses (`_keep_sdk_data`)
SDK_DATA_PREFIX = "botocore:"
MAX_REQUEST_BYTES = 1 << 20  # a function's variables are at most 4 KB in Lambda; its code path is short
# what an interpreter reads once, as it starts: a child whose variables set any of these otherwise
# than this process's were set at its start gets a fresh interpreter
STARTUP_PREFIXES = ("PYTHON", "LC_")
STARTUP_NAMES = frozenset({"LANG"})
Work = Callable[[], None]


class Zygote:
    """The children started so far, and the socket the local cloud asks on."""

    def __init__(self, control: socket.socket, root: str) -> None:
        self.control = control
        self.pid = os.getpid()
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.root = root  # every child's TMPDIR is under it
        self.path = list(sys.path)  # the runtime's own path, as a fresh interpreter has it
        self.startup = {name: value for name, value in os.environ.items() if _read_at_startup(name)}
        self.pidfds: dict[int, int] = {}  # pidfd -> pid, for the children not yet reaped
        self.scratch: dict[int, str] = {}  # pid -> its TMPDIR
        self.poller = select.poll()
        self.poller.register(control, select.POLLIN)

    def serve(self) -> Work:
        """Answer requests until the socket ends; in a child forked to run a module, what it runs."""
        while True:
            for fd, _ in self.poller.poll():
                if fd in self.pidfds:
                    self._reap(fd)
                    continue
                try:
                    data, ancillary, _, _ = self.control.recvmsg(MAX_REQUEST_BYTES, socket.CMSG_SPACE(4 * 4))
                except OSError:
                    data = b""
                if not data:
                    self._end()
                fds = _received_fds(ancillary)
                request = json.loads(data)
                if "kill" in request:
                    self._kill(int(request["kill"]))
                elif "spawn" in request:
                    work = self._spawn(request, fds)
                    if work is not None:
                        return work  # this is the child now: the loop is its parent's

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.control.send(json.dumps(message).encode())
        except OSError:
            self._end()

    def _spawn(self, request: dict[str, Any], fds: list[int]) -> Work | None:
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            self._send({"spawned": request["spawn"], "error": "no output pipe came with the request"})
            return None
        output = fds[0]
        cwd = str(request["cwd"])
        env = {str(name): str(value) for name, value in request["env"].items()}
        scratch = tempfile.mkdtemp(dir=self.root)
        env.setdefault("TMPDIR", scratch)
        module = request.get("module")
        warm = bool(module) and not self._fork_differs(env, cwd)
        try:
            pid = os.fork()
        except OSError as error:
            os.close(output)
            shutil.rmtree(scratch, ignore_errors=True)
            self._send({"spawned": request["spawn"], "error": f"fork failed: {error.strerror}"})
            return None
        if pid == 0:
            return self._child(output, cwd, env, request, warm)
        os.close(output)
        with contextlib.suppress(OSError):  # the child does it too; after its exec, it may refuse
            os.setpgid(pid, pid)
        pidfd = os.pidfd_open(pid)
        self.pidfds[pidfd] = pid
        self.scratch[pid] = scratch
        self.poller.register(pidfd, select.POLLIN)
        self._send({"spawned": request["spawn"], "pid": pid})
        return None

    def _fork_differs(self, env: dict[str, str], cwd: str) -> bool:
        """Whether a fork of this process could behave otherwise than a fresh interpreter would."""
        if len(os.listdir("/proc/self/task")) != 1:
            return True  # a thread would not survive the fork, and what it holds would stay held
        startup = {name: value for name, value in env.items() if _read_at_startup(name)}
        if startup != self.startup:
            return True
        # a module of the task root that a fresh interpreter would import instead of a loaded one
        loaded = {name.partition(".")[0] for name in sys.modules}
        return any(name in loaded for name in _top_level_modules(cwd))

    def _child(self, output: int, cwd: str, env: dict[str, str], request: dict[str, Any], warm: bool) -> Work:
        """In the child, just forked: fenced, its output and working directory set; what it runs."""
        try:
            os.setpgid(0, 0)
            if self.libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
            if os.getppid() != self.pid:  # the zygote ended before the fence was up
                os._exit(128 + signal.SIGKILL)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(output, 1)
            os.dup2(output, 2)
            os.close(null)
            os.close(output)
            self.control.close()
            for pidfd in self.pidfds:
                os.close(pidfd)
            os.chdir(cwd)
            if not warm:
                _exec(list(request["argv"]), env)
        except BaseException as error:  # anything here is the start failing
            _fail(error)
        module, args, path = str(request["module"]), [str(a) for a in request.get("args") or []], self.path
        return lambda: _run_module(module, args, cwd, env, path)

    def _kill(self, pid: int) -> None:
        if pid in self.pidfds.values():
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)

    def _reap(self, pidfd: int) -> None:
        """A child has ended: what it left running is killed, it is reaped, and the local cloud told."""
        pid = self.pidfds.pop(pidfd)
        # the group's leader is a zombie until reaped, so its number still names its group: what
        # the runtime left running is killed with it, as Lambda ends a whole environment
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        self.poller.unregister(pidfd)
        os.close(pidfd)
        shutil.rmtree(self.scratch.pop(pid), ignore_errors=True)
        self._send({"exited": pid, "code": os.waitstatus_to_exitcode(status)})

    def _end(self) -> None:
        """The local cloud is gone or done: every child's group killed, then this process."""
        pids = list(self.pidfds.values())
        for pid in pids:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        for pid in pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        shutil.rmtree(self.root, ignore_errors=True)
        os._exit(0)


def _read_at_startup(name: str) -> bool:
    return name in STARTUP_NAMES or name.startswith(STARTUP_PREFIXES)


def _top_level_modules(directory: str) -> set[str]:
    """The top-level modules and regular packages a directory holds (namespace portions lose to both)."""
    found: set[str] = set()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return found
    for entry in entries:
        name = entry.name
        if entry.is_dir():
            if os.path.exists(os.path.join(entry.path, "__init__.py")) or os.path.exists(
                os.path.join(entry.path, "__init__.pyc")
            ):
                found.add(name)
        elif name.endswith((".py", ".pyc", ".so")):
            found.add(name.partition(".")[0])
    return found


def _received_fds(ancillary: list[tuple[int, int, bytes]]) -> list[int]:
    fds = array.array("i")
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    for fd in fds:
        os.set_inheritable(fd, False)  # only the child that is given it keeps it
    return list(fds)


def _exec(argv: list[str], env: dict[str, str]) -> None:
    # what an exec'd program expects of its signals, as subprocess restores them
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    os.execve(argv[0], argv, env)  # noqa: S606 - argv is the runtime's command line, built by the local cloud


def _fail(error: BaseException) -> None:
    """The child could not start: it says why in its output, and exits 127 as a shell would."""
    with contextlib.suppress(OSError):
        os.write(2, f"localcloud: the runtime could not start: {error}\n".encode())
    os._exit(127)


def _run_module(module: str, args: list[str], cwd: str, env: dict[str, str], path: list[str]) -> None:
    """Run `module` as `python -s -B -m module args...` would, in this forked child (-s and -B are
    this process's own flags, inherited): its variables wholly replaced, the working directory first
    on the path, nothing of the zygote's caches kept."""
    try:
        os.environ.clear()  # unsetenv each, so that a subprocess of the function inherits these only
        os.environ.update(env)
        time.tzset()
        sys.path[:] = [cwd, *path]
        importlib.invalidate_caches()
        tempfile.tempdir = None  # computed again, from the child's TMPDIR
        gc.enable()
        sys.argv = ["-m", *args]  # runpy puts the module's file in place of "-m", as -m does
    except BaseException as error:  # anything here is the start failing
        _fail(error)
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def _preload(preload: list[str]) -> None:
    """Import the modules of `preload`, and parse botocore's data for its `botocore:SERVICE`
    entries (`_keep_sdk_data`); then keep what they made out of the collector's sight, so that no
    child's collection writes to (and so copies) the pages it shares with the zygote; each child
    collects again (`_run_module`), as Python's documentation of `gc.freeze` advises for a fork server."""
    gc.disable()
    services = [entry.partition(":")[2] for entry in preload if entry.startswith(SDK_DATA_PREFIX)]
    for module in (entry for entry in preload if not entry.startswith(SDK_DATA_PREFIX)):
        with contextlib.suppress(ImportError):  # only ever a head start
            importlib.import_module(module)
    if "botocore" in sys.modules:
        with contextlib.suppress(Exception):  # only ever a head start
            _keep_sdk_data(services)
    gc.collect()  # what the imports left over is not kept
    gc.freeze()


def _keep_sdk_data(services: list[str]) -> None:
    """botocore's data files, parsed once here for every child: the endpoints, partitions and
    defaults that any client reads, and the models of `services`. A loader that botocore makes for
    the default search path starts with them in its cache (botocore keys that cache by the method
    and its arguments; a key it asks for otherwise is simply read from disk), so a child's first
    client skips reading and parsing them: about 60 ms of the CPU of a cold start whose Init makes
    one. A loader for another path (AWS_DATA_PATH) reads its files as usual."""
    from botocore import loaders, session

    warm = loaders.create_loader()
    for name in ("endpoints", "partitions", "sdk-default-configuration"):
        warm.load_data_with_path(name)
    for type_name in ("service-2", "endpoint-rule-set-1"):
        warm.list_available_services(type_name)
        for service in services:
            warm.load_service_model(service, type_name, api_version=None)  # as a client asks for it
    parsed = dict(vars(warm)["_cache"])  # the instance cache's own dict: no public name in botocore
    make_loader = session.create_loader

    def create_loader(search_path_string: str | None = None) -> loaders.Loader:
        loader = make_loader(search_path_string)
        if search_path_string is None:
            vars(loader)["_cache"].update(parsed)
        return loader

    session.create_loader = create_loader  # the name botocore's Session makes its loader with


def main() -> Work:
    control = socket.socket(fileno=int(sys.argv[1]))
    _preload(sys.argv[3:])
    return Zygote(control, sys.argv[2]).serve()


if __name__ == "__main__":
    # a forked child returns from the loop and runs its module here, at the top: its exit (SystemExit,
    # an uncaught exception, the end) is an interpreter's, with its atexit handlers and flushes
    main()()
