"""`make status` (scripts/status.py) shows every dead-letter queue's depth, and says loudly when one is not empty
(queues in moto, named as the stack names them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts.status import Depth, dead_letter_depths, report


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")


def _queues(sqs: Any) -> dict[str, str]:
    """A source queue with its DLQ, a stream's failure queue (no source) and the EventBridge DLQ."""
    urls = {name: sqs.create_queue(QueueName=f"buynest-{name}")["QueueUrl"] for name in
            ("OrderRepliesFailures", "OutboxDLQ", "EventDeliveryDLQ")}  # fmt: skip
    arn = sqs.get_queue_attributes(QueueUrl=urls["OrderRepliesFailures"], AttributeNames=["QueueArn"])
    policy = {"deadLetterTargetArn": arn["Attributes"]["QueueArn"], "maxReceiveCount": 5}
    urls["OrderRepliesQueue"] = sqs.create_queue(
        QueueName="buynest-OrderRepliesQueue", Attributes={"RedrivePolicy": json.dumps(policy)}
    )["QueueUrl"]
    return urls


def test_every_dead_letter_queue_is_listed_with_its_depth(sqs: Any) -> None:
    """Guards: a DLQ named by a redrive policy, and a DLQ that no queue names, both count; a source queue with a
    backlog is not a DLQ."""
    urls = _queues(sqs)
    sqs.send_message(QueueUrl=urls["OrderRepliesQueue"], MessageBody="backlog, not a failure")

    assert dead_letter_depths(sqs, urls) == [
        Depth("EventDeliveryDLQ", 0, 0),
        Depth("OrderRepliesFailures", 0, 0),
        Depth("OutboxDLQ", 0, 0),
    ]
    assert report(dead_letter_depths(sqs, urls)).splitlines()[-1] == "every dead-letter queue is empty"


def test_a_dead_letter_queue_that_is_not_empty_is_called_out(sqs: Any) -> None:
    """Guards: messages nothing will process must not hide in a table of zeros."""
    urls = _queues(sqs)
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=urls["OutboxDLQ"], MessageBody=body)

    text = report(dead_letter_depths(sqs, urls))

    assert "  OutboxDLQ             2   <-- NOT EMPTY: messages nothing will process" in text.splitlines()
    assert text.splitlines()[-1].startswith("WARNING: 2 message(s) in 1 dead-letter queue(s) (OutboxDLQ)")
    assert "make redrive" in text.splitlines()[-1]
