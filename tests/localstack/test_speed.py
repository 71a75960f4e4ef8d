"""The plugins' savings change nothing a user sees: Step Functions keeps its role session and its parsed paths
(buynest_localstack.stepfunctions), and DynamoDB stream pollers wait for a write instead of polling an idle
stream every 0.1 s (buynest_localstack.streamwait)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from tests.localstack.test_plugins import ROLE, STREAM_TEMPLATE, create_function, deploy_stack, wait_for

ADDER = """\
def handler(event, context):
    return {"total": event["a"] + event["b"]}
"""


def definition(function_arn: str) -> str:
    return json.dumps({
        "StartAt": "Add",
        "States": {
            "Add": {"Type": "Task", "Resource": function_arn, "InputPath": "$.input",
                    "ResultPath": "$.results.first", "Next": "Check"},
            "Check": {"Type": "Choice", "Default": "Small",
                      "Choices": [{"Variable": "$.results.first.total", "NumericGreaterThan": 10, "Next": "Big"}]},
            "Big": {"Type": "Task", "Resource": function_arn, "Parameters": {"a.$": "$.results.first.total", "b": 1},
                    "ResultPath": "$.results.second", "OutputPath": "$.results", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
        },
    })  # fmt: skip


def served(endpoint: str) -> dict[tuple[str, str], int]:
    rows = requests.get(endpoint + "/_buynest/calls", timeout=10).json()["calls"]
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        counts[(row["service"], row["operation"])] = counts.get((row["service"], row["operation"]), 0) + row["count"]
    return counts


def test_workflow_results_are_unchanged_and_its_role_is_assumed_once(
    aws: Callable[[str], Any], localstack: Any
) -> None:
    name = f"adder-{uuid.uuid4().hex[:8]}"
    create_function(aws, name, {"app.py": ADDER})
    arn = aws("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    aws("lambda").invoke(FunctionName=name, Payload=json.dumps({"a": 0, "b": 0}))  # warm: its log session exists
    sfn = aws("stepfunctions")
    machine = sfn.create_state_machine(name=name, definition=definition(arn), roleArn=ROLE)["stateMachineArn"]

    def run(given: dict[str, Any]) -> dict[str, Any]:
        execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(given))["executionArn"]

        def finished() -> dict[str, Any] | None:
            described: dict[str, Any] = sfn.describe_execution(executionArn=execution)
            return described if described["status"] != "RUNNING" else None

        return wait_for(finished, 30, f"execution {execution}", interval=0.1)

    requests.delete(localstack.endpoint + "/_buynest/calls", timeout=10)
    for _ in range(2):  # the second round runs on the kept session and the parsed paths
        big = run({"input": {"a": 5, "b": 7}})
        assert big["status"] == "SUCCEEDED", big
        assert json.loads(big["output"]) == {"first": {"total": 12}, "second": {"total": 13}}
        small = run({"input": {"a": 1, "b": 2}, "keep": [1]})
        assert small["status"] == "SUCCEEDED", small
        assert json.loads(small["output"]) == {"input": {"a": 1, "b": 2}, "keep": [1],
                                               "results": {"first": {"total": 3}}, "size": "small"}  # fmt: skip
        missing = run({"nope": 1})
        assert missing["status"] == "FAILED", missing
        assert missing.get("error") == "States.Runtime", missing

    # six task invocations: LocalStack assumed the role for each (6 calls); the kept session needs one at most
    assert served(localstack.endpoint).get(("sts", "AssumeRole"), 0) <= 1


def test_an_idle_stream_is_not_polled_and_a_write_still_arrives_at_once(
    aws: Callable[[str], Any], localstack: Any
) -> None:
    outputs = deploy_stack(aws, STREAM_TEMPLATE, "idle")
    dynamodb = aws("dynamodb")

    def delivered(record_id: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = dynamodb.get_item(TableName=outputs["Sink"], Key={"id": {"S": record_id}}).get(
            "Item"
        )
        return item

    dynamodb.put_item(TableName=outputs["Source"], Item={"pk": {"S": "warm"}})
    wait_for(lambda: delivered("INSERT#warm"), 20, "the first record (the function's cold start)")

    # A quiet spell, measured (this sleep is the thing observed, not a wait for something): at the 0.1 s poll
    # interval every stream mapping of this LocalStack would ask ~20 times in it; an idle poller waits for a write.
    time.sleep(0.5)
    requests.delete(localstack.endpoint + "/_buynest/calls", timeout=10)
    time.sleep(2)
    assert served(localstack.endpoint).get(("dynamodbstreams", "GetRecords"), 0) <= 2

    # the idle pollers ask again only after 30 s (conftest); the write itself wakes the mapping's poller
    latencies = []
    for index in range(3):
        put_at = time.time()
        dynamodb.put_item(TableName=outputs["Source"], Item={"pk": {"S": f"quiet-{index}"}})
        item = wait_for(lambda i=index: delivered(f"INSERT#quiet-{i}"), 10, f"quiet-{index}")  # type: ignore[misc]
        latencies.append(float(item["seen_at"]["S"]) - put_at)
        time.sleep(0.5)  # quiet again: the poller is back to waiting before the next write
    assert max(latencies) < 3, latencies
    print(f"stream -> lambda latency after a quiet spell: {', '.join(f'{x * 1000:.0f} ms' for x in latencies)}")


QUEUE_RECORDER = """\
import os
import time

import boto3

sink = boto3.client("dynamodb")


def handler(event, context):
    for record in event["Records"]:
        sink.put_item(TableName=os.environ["SINK"], Item={
            "id": {"S": record["body"]}, "seen_at": {"S": repr(time.time())},
            "receive_count": {"S": record["attributes"]["ApproximateReceiveCount"]},
        })
"""


def test_an_idle_queue_is_not_polled_and_a_message_still_arrives_at_once(
    aws: Callable[[str], Any], localstack: Any
) -> None:
    suffix = uuid.uuid4().hex[:8]
    dynamodb, sqs, lambda_client = aws("dynamodb"), aws("sqs"), aws("lambda")
    sink = f"queue-sink-{suffix}"
    dynamodb.create_table(TableName=sink, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])  # fmt: skip
    url = sqs.create_queue(QueueName=f"idle-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = create_function(aws, f"queue-recorder-{suffix}", {"app.py": QUEUE_RECORDER},
                           Environment={"Variables": {"SINK": sink}}, Timeout=10)  # fmt: skip
    mapping = lambda_client.create_event_source_mapping(
        FunctionName=name, EventSourceArn=queue_arn, BatchSize=10, MaximumBatchingWindowInSeconds=1
    )["UUID"]

    def delivered(body: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = dynamodb.get_item(TableName=sink, Key={"id": {"S": body}}).get("Item")
        return item

    wait_for(lambda: lambda_client.get_event_source_mapping(UUID=mapping)["State"] == "Enabled", 30, "the mapping")
    sqs.send_message(QueueUrl=url, MessageBody="warm")
    wait_for(lambda: delivered("warm"), 30, "the first message (the function's cold start)")

    # a quiet spell, measured (the sleep is what is observed): LocalStack's poller would ask ~1.5 times a second
    time.sleep(2)
    requests.delete(localstack.endpoint + "/_buynest/calls", timeout=10)
    time.sleep(3)
    assert served(localstack.endpoint).get(("sqs", "ReceiveMessage"), 0) <= 1

    # the idle poller asks again only after 30 s (conftest); the message itself wakes it, and a window that ran
    # out while it waited is not waited for again
    latencies = []
    for index in range(3):
        sent_at = time.time()
        sqs.send_message(QueueUrl=url, MessageBody=f"quiet-{index}")
        item = wait_for(lambda i=index: delivered(f"quiet-{i}"), 10, f"quiet-{index}")  # type: ignore[misc]
        latencies.append(float(item["seen_at"]["S"]) - sent_at)
        assert item["receive_count"]["S"] == "1"
        time.sleep(3)  # quiet again: the last poll, its window and the back-off end while nothing comes
    assert max(latencies) < 1.0, latencies
    print(f"queue -> lambda latency after a quiet spell: {', '.join(f'{x * 1000:.0f} ms' for x in latencies)}")

    # a burst is still gathered into batches and every message arrives once
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"burst-{i}"} for i in range(10)])
    for i in range(10):
        item = wait_for(lambda i=i: delivered(f"burst-{i}"), 10, f"burst-{i}")  # type: ignore[misc]
        assert item["receive_count"]["S"] == "1"

    # a disabled mapping stops at once, though its poller was waiting on the empty queue
    lambda_client.update_event_source_mapping(UUID=mapping, Enabled=False)
    wait_for(lambda: lambda_client.get_event_source_mapping(UUID=mapping)["State"] == "Disabled", 5, "Disabled")
    lambda_client.delete_event_source_mapping(UUID=mapping)
