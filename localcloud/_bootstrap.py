"""Runs inside the runtime venv's interpreter: the part of Lambda's Python bootstrap we need.

Started with -I (isolated), so neither this repository nor the caller's site-packages is on
the path: only the task root and the runtime venv's own packages are.
"""

import json
import logging
import os
import sys
import time
import uuid


class LambdaContext:
    def __init__(self, deadline_epoch: float) -> None:
        self._deadline = deadline_epoch
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def main() -> None:
    task_root = os.path.abspath(os.environ["LAMBDA_TASK_ROOT"])
    sys.path.insert(0, task_root)
    # Lambda's runtime logs through a handler on the root logger, level WARNING until changed.
    logging.basicConfig(format="[%(levelname)s]\t%(asctime)s\t%(name)s\t%(message)s", stream=sys.stdout)
    module_name, function_name = os.environ["_HANDLER"].rsplit(".", 1)
    module = __import__(module_name)
    event = json.loads(sys.stdin.read())
    context = LambdaContext(float(os.environ["LOCALCLOUD_DEADLINE_EPOCH"]))
    getattr(module, function_name)(event, context)


if __name__ == "__main__":
    main()
