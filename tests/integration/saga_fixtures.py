"""Integration helpers for the stock and points consumers on top of the ``aws`` fixture: running SQS batches
through a consumer from many "containers" at once, and tapping the moto bus to see what the real publisher put on
it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3

from buynest.core.events import EventEnvelope
from tests.conftest import FakeContext, load_handler
from tests.unit.saga_fakes import sqs_event

REGION = "us-east-1"


def deliver(consumer: Any, *bodies: dict[str, Any]) -> dict[str, Any]:
    """One SQS batch through ``consumer``; returns its partial-failure response."""
    result: dict[str, Any] = consumer.handler(sqs_event(*bodies), FakeContext())
    return result


def deliver_concurrently(handler_path: str, batches: Sequence[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each batch through its own copy of the handler module (a container of its own: Powertools' batch processor
    serves one invocation at a time), all released at the same moment."""
    consumers = [load_handler(handler_path) for _ in batches]
    start = threading.Barrier(len(batches))

    def run(index: int) -> dict[str, Any]:
        start.wait()
        return deliver(consumers[index], *batches[index])

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        return list(pool.map(run, range(len(batches))))


class Watcher:
    """Samples ``read()`` in a background thread until stopped; keeps every value seen."""

    def __init__(self, read: Callable[[], int]) -> None:
        self._read = read
        self._stop = threading.Event()
        self.seen: list[int] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.seen.append(self._read())
            time.sleep(0.002)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.seen.append(self._read())


@dataclass
class BusTap:
    """A queue behind a rule on the moto bus that copies every event of ``source``."""

    queue_url: str

    @classmethod
    def create(cls, bus_name: str, source: str) -> BusTap:
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        events.create_event_bus(Name=bus_name)
        queue_url = sqs.create_queue(QueueName=f"tap-{source.replace('.', '-')}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="tap", EventBusName=bus_name, EventPattern=json.dumps({"source": [source]}))
        events.put_targets(Rule="tap", EventBusName=bus_name, Targets=[{"Id": "tap", "Arn": arn}])
        return cls(queue_url)

    def received(self) -> list[tuple[str, str, EventEnvelope[dict[str, Any]]]]:
        """(source, detail-type, envelope) of every event delivered so far."""
        sqs = boto3.client("sqs", region_name=REGION)
        found = []
        while messages := sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                body = json.loads(message["Body"])
                envelope = EventEnvelope[dict[str, Any]].model_validate(body["detail"])
                found.append((body["source"], body["detail-type"], envelope))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return found
