"""An event source mapping polls again after the endpoint restarts on its state."""

from __future__ import annotations

from pathlib import Path

from localcloud.endpoint import Endpoint

from .stacks import Stacks
from .test_event_sources import poller_threads, received, template, wait_for


def test_a_mapping_polls_again_after_a_restart(tmp_path: Path) -> None:
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "restarted-queue"}}
    with Endpoint(port=0, state_dir=tmp_path) as first:
        outputs = Stacks(first).deploy("Restarted", template(queue))
    wait_for(lambda: not poller_threads(outputs["MappingId"]))  # stopped with the endpoint

    with Endpoint(port=0, state_dir=tmp_path) as second:
        assert outputs["MappingId"] in second.cloudformation.engine.event_sources.running()
        sqs = second.client("sqs")
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="restarted-queue")["QueueUrl"], MessageBody="again")
        wait_for(lambda: received(second, outputs["SourceArn"]) == ["again"])
        Stacks(second).destroy("Restarted")
