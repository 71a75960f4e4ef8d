"""Integration set-up for the images service on top of the ``aws`` fixture: the bucket with its notification, the
uploads queue and its DLQ, and the event bus, built from their template definitions in template.yaml,
plus a queue that captures what the service puts on the bus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from buynest.core.events import set_events_client
from buynest.core.s3 import set_s3_client
from buynest.images.runtime import set_image_processor, set_image_service
from buynest.products.runtime import set_product_service
from tests.template import bus_name, template

BUCKET = "it-images"
REGION = "us-east-1"


def resource(logical_id: str) -> dict[str, Any]:
    """A resource's definition in template.yaml."""
    resource: dict[str, Any] = template()["Resources"][logical_id]
    return resource


def products_stream_specification() -> dict[str, Any]:
    """The products table's stream settings, as template.yaml declares them."""
    spec = template()["Resources"]["ProductsTable"]["Properties"]["StreamSpecification"]
    return {"StreamEnabled": True, **spec}


def queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def create_queue(sqs: Any, logical_id: str, dlq_arn: str | None = None) -> str:
    """The queue as the template defines it (visibility timeout, redrive to ``dlq_arn``)."""
    props = resource(logical_id)["Properties"]
    attributes = {k: str(props[k]) for k in ("VisibilityTimeout", "MessageRetentionPeriod") if k in props}
    if "RedrivePolicy" in props and dlq_arn:
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": props["RedrivePolicy"]["maxReceiveCount"]}
        attributes["RedrivePolicy"] = json.dumps(redrive)
    return str(sqs.create_queue(QueueName=f"it-{logical_id}", Attributes=attributes)["QueueUrl"])


def notification_configuration(queue: str) -> dict[str, Any]:
    """The bucket's NotificationConfiguration in S3 API form, its queue replaced by ``queue`` (an ARN)."""
    configs = resource("ImagesBucket")["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    return {
        "QueueConfigurations": [
            {
                "QueueArn": queue,
                "Events": [c["Event"]],
                "Filter": {"Key": {"FilterRules": c["Filter"]["S3Key"]["Rules"]}},
            }
            for c in configs
        ]
    }


_CORS_API_NAMES = {"ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds", "Id": "ID"}


def cors_configuration() -> dict[str, Any]:
    """The bucket's CorsConfiguration in S3 API form (CloudFormation names two properties differently)."""
    rules = resource("ImagesBucket")["Properties"]["CorsConfiguration"]["CorsRules"]
    return {"CORSRules": [{_CORS_API_NAMES.get(k, k): v for k, v in rule.items()} for rule in rules]}


@dataclass
class ImagesEnv:
    s3: Any
    sqs: Any
    ddb: Any
    products_table: str
    bucket: str
    uploads_queue: str
    uploads_dlq: str
    bus_capture: str

    def object_keys(self, prefix: str = "") -> set[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return {obj["Key"] for obj in listed.get("Contents", [])}

    def object(self, key: str) -> tuple[bytes, str]:
        obj = self.s3.get_object(Bucket=self.bucket, Key=key)
        return obj["Body"].read(), obj["ContentType"]

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

    def published(self) -> list[dict[str, Any]]:
        """The events put on the bus since the last call, as EventBridge hands them to a target."""
        return [json.loads(m["Body"]) for m in self.receive(self.bus_capture)]


def images_env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[ImagesEnv]:
    """Body of a fixture: yields the images environment and resets the runtimes afterwards."""
    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    events = boto3.client("events", region_name=REGION)
    dlq = create_queue(sqs, "ImageUploadsDLQ")
    uploads = create_queue(sqs, "ImageUploadsQueue", dlq_arn=queue_arn(sqs, dlq))
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration=cors_configuration())
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration=notification_configuration(queue_arn(sqs, uploads))
    )
    bus = bus_name()
    events.create_event_bus(Name=bus)
    capture = sqs.create_queue(QueueName="it-bus-capture")["QueueUrl"]
    events.put_rule(Name="it-images", EventBusName=bus, EventPattern=json.dumps({"source": ["buynest.images"]}))
    events.put_targets(Rule="it-images", EventBusName=bus, Targets=[{"Id": "capture", "Arn": queue_arn(sqs, capture)}])
    monkeypatch.setenv("IMAGES_BUCKET", BUCKET)
    monkeypatch.setenv("EVENT_BUS_NAME", bus)
    resets = (set_image_service, set_image_processor, set_s3_client, set_events_client, set_product_service)
    for reset in resets:
        reset(None)
    yield ImagesEnv(
        s3=s3,
        sqs=sqs,
        ddb=aws["ddb"],
        products_table=aws["tables"]["ProductsTable"],
        bucket=BUCKET,
        uploads_queue=uploads,
        uploads_dlq=dlq,
        bus_capture=capture,
    )
    for reset in resets:
        reset(None)
