"""What can be set about the local CloudFormation, and how it reports progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[str, str, str, str, str], None]  # stack, logical id, type, status, reason


@dataclass
class Settings:
    region: str = "us-east-1"
    account: str = "123456789012"
    # fault injection: shorten every function's timeout, or CloudFormation's wait for an answer
    function_timeout: float | None = None
    service_timeout: float | None = None
    # fault injection: deliver each custom resource Create twice
    duplicate_creates: bool = False
    lambda_retry_delay: float = 1.0
    # How long a custom resource waits for its answer once every attempt of its function has
    # ended without one. CloudFormation would wait out the ServiceTimeout (an hour by default);
    # an answer sent anywhere but the ResponseURL (to port 443 by a client that ignores the URL's
    # port, say) never arrives, so the local cloud says so sooner. The grace leaves room for a
    # function that hands the answer on (to a queue, another function).
    unanswered_grace: float = 60.0
    # DescribeStacks naming a stack whose operation is running answers once the operation has
    # ended, or after this many seconds: a slow read, as any read of AWS's may be. The CDK CLI
    # asks again 5 s after each answer that shows the stack in progress, so without the wait an
    # operation of one second costs `cdk deploy` five. 0 answers at once.
    running_stack_read_wait: float = 5.0
