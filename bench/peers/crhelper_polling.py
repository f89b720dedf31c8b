"""Peer for the benchmarks: the event tracker handler written with crhelper's scheduled polling.

Create and Delete start the operation and return; crhelper then puts an EventBridge rule at its
shortest rate (1 minute) that invokes the function again, and `poll_*` checks the status until
it is done. Shipped as `index.py` at the asset's root, beside crhelper (handler `index.handler`).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import ClientError
from crhelper import CfnResource

# polling_interval is in minutes; 1 is the least crhelper allows. No Delete sleep, to isolate polling.
helper = CfnResource(log_level="INFO", polling_interval=1, sleep_on_delete=0)
personalize = boto3.client("personalize", region_name=os.environ.get("AWS_REGION"))


@helper.create
def create(event: dict[str, Any], _context: Any) -> str:
    properties = event["ResourceProperties"]
    response = personalize.create_event_tracker(name=properties["Name"], datasetGroupArn=properties["DatasetGroupArn"])
    return str(response["eventTrackerArn"])


@helper.poll_create
def poll_create(event: dict[str, Any], _context: Any) -> str | None:
    arn = event["CrHelperData"]["PhysicalResourceId"]
    tracker = personalize.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]
    if tracker["status"] != "ACTIVE":
        return None
    helper.Data.update({"EventTrackerArn": arn, "TrackingId": tracker["trackingId"]})
    return str(arn)


@helper.delete
def delete(event: dict[str, Any], _context: Any) -> str:
    personalize.delete_event_tracker(eventTrackerArn=event["PhysicalResourceId"])
    return str(event["PhysicalResourceId"])


@helper.poll_delete
def poll_delete(event: dict[str, Any], _context: Any) -> str | None:
    try:
        personalize.describe_event_tracker(eventTrackerArn=event["PhysicalResourceId"])
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return str(event["PhysicalResourceId"])
        raise
    return None


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
