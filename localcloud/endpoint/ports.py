"""The endpoint's port: bound here, so that a busy one is refused with a message that names its holder.

werkzeug's own binding prints a line and exits the process when the port is taken; binding the
socket first and handing it to werkzeug keeps that decision with the caller (`serve` answers
non-zero, a test gets the exception), and lets the message say which process holds the port.
"""

from __future__ import annotations

import errno
import os
import socket
from contextlib import suppress
from pathlib import Path

HOST = "127.0.0.1"
BACKLOG = 128  # werkzeug's own listen queue


class PortInUse(RuntimeError):
    """Another process listens on the port."""

    def __init__(self, port: int, pid: int | None) -> None:
        holder = f" by pid {pid} ({_command_of(pid)})" if pid else ""
        super().__init__(
            f"port {port} on {HOST} is in use{holder}: stop that process, or give this local cloud "
            "another --port (0 picks a free one)"
        )
        self.port = port
        self.pid = pid


def listening_socket(port: int) -> socket.socket:
    """A socket listening on HOST:`port` (0: a free port); PortInUse when another process has it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds: past TIME_WAIT only
    try:
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(port, listener_pid(port)) from None
        raise
    return listener


def listener_pid(port: int) -> int | None:
    """The pid of the process listening on `port`, where the system tells it (Linux's /proc, for
    the user's own processes); None otherwise."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        with suppress(OSError):
            for descriptor in (process / "fd").iterdir():
                with suppress(OSError):
                    if os.readlink(descriptor) in wanted:
                        return int(process.name)
    return None


def _listening_inodes(port: int) -> set[str]:
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    found.add(inode)
    return found


def _command_of(pid: int) -> str:
    """Its program's name only: another program's arguments may hold what must not be shown."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "its program unknown"
