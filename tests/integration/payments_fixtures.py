"""Integration set-up for the payments service on top of the ``aws`` fixture: the payments table built from its
template definition in template.yaml, the event bus with a
queue that captures what the service puts on it, moto's DynamoDB made safe for concurrent callers, and builders of
the events and task inputs the functions receive."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.dynamodb.responses import DynamoHandler

from buynest.core.events import EventEnvelope, set_events_client
from buynest.orders.messages import OrderCancelled, OrderLine
from buynest.payments.runtime import set_payment_service
from tests.template import bus_name, template

TABLE = "PaymentsTable"
REGION = "us-east-1"


def resource(logical_id: str) -> dict[str, Any]:
    """A resource's definition in template.yaml."""
    found: dict[str, Any] = template()["Resources"][logical_id]
    return found


def create_table_args(table_name: str) -> dict[str, Any]:
    props = resource(TABLE)["Properties"]
    args: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in props:
            args[key] = props[key]
    return args


def serialize_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run moto's DynamoDB requests one at a time, as DynamoDB applies each request atomically (moto's backend is
    not thread-safe); threaded tests then race exactly as they would on the service."""
    lock = threading.RLock()
    original = DynamoHandler.call_action

    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action)


@dataclass
class PaymentsEnv:
    ddb: Any
    sqs: Any
    table: str
    bus: str
    capture_queue: str

    def item(self, order_id: str) -> dict[str, Any] | None:
        got = self.ddb.get_item(TableName=self.table, Key={"orderId": {"S": order_id}}, ConsistentRead=True)
        item: dict[str, Any] | None = got.get("Item")
        return item

    def status_history(self, order_id: str) -> list[str]:
        item = self.item(order_id)
        assert item is not None
        return [entry["M"]["status"]["S"] for entry in item["history"]["L"]]

    def receive(self, queue: str) -> list[dict[str, Any]]:
        """Every message waiting on ``queue`` (received, then deleted)."""
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            messages += batch
            self.sqs.delete_message_batch(
                QueueUrl=queue,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
        return messages

    def published(self) -> list[tuple[str, EventEnvelope[dict[str, Any]]]]:
        """(detail-type, envelope) of every payments event put on the bus since the last call."""
        events: list[tuple[str, EventEnvelope[dict[str, Any]]]] = []
        for message in self.receive(self.capture_queue):
            body = json.loads(message["Body"])
            assert body["source"] == "buynest.payments"
            events.append((body["detail-type"], EventEnvelope[dict[str, Any]].model_validate(body["detail"])))
        return events


def order_events_queue(env: PaymentsEnv) -> str:
    """The consumer's queue (with its DLQ) and the bus rule feeding it, as the template defines them; the URL."""
    events = boto3.client("events", region_name=REGION)
    dlq_props = resource("PaymentsOrderEventsDLQ")["Properties"]
    dlq = env.sqs.create_queue(
        QueueName="it-payments-order-events-dlq",
        Attributes={"MessageRetentionPeriod": str(dlq_props["MessageRetentionPeriod"])},
    )["QueueUrl"]
    props = resource("PaymentsOrderEventsQueue")["Properties"]
    redrive = {
        "deadLetterTargetArn": queue_arn(env.sqs, dlq),
        "maxReceiveCount": props["RedrivePolicy"]["maxReceiveCount"],
    }
    queue = env.sqs.create_queue(
        QueueName="it-payments-order-events",
        Attributes={"VisibilityTimeout": str(props["VisibilityTimeout"]), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    rule = resource("PaymentsOrderEventsRule")["Properties"]
    events.put_rule(Name="it-payments-orders", EventBusName=env.bus, EventPattern=json.dumps(rule["EventPattern"]))
    events.put_targets(
        Rule="it-payments-orders", EventBusName=env.bus, Targets=[{"Id": "queue", "Arn": queue_arn(env.sqs, queue)}]
    )
    return str(queue)


def queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def payments_env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[PaymentsEnv]:
    """Body of a fixture: yields the payments environment (the real DynamoDB and EventBridge adapters, on moto) and
    resets the runtime afterwards."""
    ddb = aws["ddb"]
    sqs = boto3.client("sqs", region_name=REGION)
    events = boto3.client("events", region_name=REGION)
    table = "it-payments"
    ddb.create_table(**create_table_args(table))
    bus = bus_name()
    events.create_event_bus(Name=bus)
    capture = sqs.create_queue(QueueName="it-payments-capture")["QueueUrl"]
    events.put_rule(Name="it-payments", EventBusName=bus, EventPattern=json.dumps({"source": ["buynest.payments"]}))
    events.put_targets(
        Rule="it-payments", EventBusName=bus, Targets=[{"Id": "capture", "Arn": queue_arn(sqs, capture)}]
    )
    monkeypatch.setenv("PAYMENTS_TABLE", table)
    monkeypatch.setenv("EVENT_BUS_NAME", bus)
    serialize_dynamodb(monkeypatch)
    set_payment_service(None)
    set_events_client(None)
    yield PaymentsEnv(ddb=ddb, sqs=sqs, table=table, bus=bus, capture_queue=capture)
    set_payment_service(None)
    set_events_client(None)


def bus_event(
    detail_type: str,
    data: Mapping[str, Any],
    *,
    source: str = "buynest.orders",
    correlation_id: str = "corr-1",
) -> dict[str, Any]:
    """An event as an EventBridge rule delivers it to its SQS target (the body of the SQS message)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": "000000000000",
        "time": "2026-11-27T10:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": {
            "metadata": {
                "eventId": str(uuid.uuid4()),
                "eventVersion": 1,
                "correlationId": correlation_id,
                "occurredAt": "2026-11-27T10:00:00Z",
            },
            "data": dict(data),
        },
    }


def sqs_event(*bodies: Mapping[str, Any] | str) -> dict[str, Any]:
    """An SQS event as Lambda receives it, one record per body (a dict is sent as JSON, a str as is)."""
    return {
        "Records": [
            {
                "messageId": f"msg-{i}-{uuid.uuid4()}",
                "receiptHandle": f"handle-{i}",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1764237600000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1764237600000",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:000000000000:payments-order-events",
                "awsRegion": REGION,
            }
            for i, body in enumerate(bodies)
        ]
    }


def order_cancelled(order_id: str, total: int = 10_000) -> dict[str, Any]:
    """``OrderCancelled`` exactly as the orders service's own model puts it on the wire."""
    data = OrderCancelled(
        order_id=order_id,
        user_id="u1",
        items=[OrderLine(product_id="P1", quantity=1, unit_price=total)],
        points_earned=total // 100,
        total=total,
    )
    return bus_event("OrderCancelled", data.wire(), correlation_id=f"corr-{order_id}")
