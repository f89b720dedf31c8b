"""Runs inside the runtime venv's interpreter: the part of Lambda's Python bootstrap we need.

Started with -I (isolated), so neither this repository nor the caller's site-packages is on
the path: only the task root and the runtime venv's own packages are.

It runs Lambda's two phases apart. Init, once: the handler module is imported (its clients
created), as in a new execution environment. Invoke, once per request read from stdin: the
initialized process forks, and the child runs the handler on the event with its output going
to the request's file; it writes its outcome to the request's status file and exits. Each
invocation therefore starts from the state Init left, as a fresh environment would, without
paying Init again (a third of a second of CPU for boto3 and the clients).
"""

import importlib
import json
import logging
import os
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any, NoReturn


class LambdaContext:
    def __init__(self, deadline_epoch: float) -> None:
        self._deadline = deadline_epoch
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def init() -> Callable[[Any, LambdaContext], Any]:
    task_root = os.path.abspath(os.environ["LAMBDA_TASK_ROOT"])
    sys.path.insert(0, task_root)
    # Lambda's runtime logs through a handler on the root logger, level WARNING until changed.
    logging.basicConfig(format="[%(levelname)s]\t%(asctime)s\t%(name)s\t%(message)s", stream=sys.stdout)
    module_name, function_name = os.environ["_HANDLER"].rsplit(".", 1)
    # import_module, not __import__: for a dotted module (a handler package) __import__ returns the top package.
    handler: Callable[[Any, LambdaContext], Any] = getattr(importlib.import_module(module_name), function_name)
    return handler


def invoke(handler: Callable[[Any, LambdaContext], Any], request: dict[str, Any]) -> NoReturn:
    """In the forked child: run one invocation, its output to request["output"], then exit."""
    output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stdout.flush()
    os.dup2(output, 1)
    os.dup2(output, 2)
    status = 1
    try:
        handler(request["event"], LambdaContext(request["deadline"]))
        status = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        with open(request["status"] + ".tmp", "w") as file:
            file.write(str(status))
        os.rename(request["status"] + ".tmp", request["status"])
        os._exit(status)


def main() -> None:
    try:
        handler = init()
    except BaseException:
        traceback.print_exc()  # an Init error: every invocation fails with it
        sys.stdout.flush()
        raise SystemExit(1) from None
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            invoke(handler, request)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
