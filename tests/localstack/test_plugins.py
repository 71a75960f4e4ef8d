"""Tests of the buynest-host Lambda executor and the moto DynamoDB providers in a real LocalStack."""

from __future__ import annotations

import base64
import functools
import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

TOOLBOX = """\
import os
import time


def handler(event, context):
    if "sleep" in event:
        time.sleep(event["sleep"])
    if "exit" in event:
        print("exiting", flush=True)
        os._exit(event["exit"])
    if "raise" in event:
        raise ValueError(event["raise"])
    print(event.get("marker", "no marker"))
    return {"pid": os.getpid()}
"""

LAYERED = """\
import importlib.util
import os

import boto3
import buynest_layer_a
import buynest_sitepkg
import shadowed


def handler(event, context):
    return {
        "layer": buynest_layer_a.VALUE,
        "site": buynest_sitepkg.VALUE,
        "shadowed": shadowed.WHO,
        "greeting": os.environ["GREETING"],
        "function_name": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        "region": os.environ["AWS_REGION"],
        "default_region": os.environ["AWS_DEFAULT_REGION"],
        "memory": os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
        "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
        "handler": os.environ["_HANDLER"],
        "log_group": os.environ["AWS_LAMBDA_LOG_GROUP_NAME"],
        "task_root_is_cwd": os.environ["LAMBDA_TASK_ROOT"] == os.getcwd(),
        "endpoint": os.environ["AWS_ENDPOINT_URL"],
        "account": boto3.client("sts").get_caller_identity()["Account"],
        "buckets": [bucket["Name"] for bucket in boto3.client("s3").list_buckets()["Buckets"]],
        "pytest_importable": importlib.util.find_spec("pytest") is not None,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""

STREAM_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Source:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  Sink:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Recorder:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: index.handler
      Timeout: 10
      Environment: {Variables: {SINK: !Ref Sink}}
      InlineCode: |
        import json, os, time
        import boto3
        sink = boto3.resource("dynamodb").Table(os.environ["SINK"])
        def handler(event, context):
            for record in event["Records"]:
                key = record["dynamodb"]["Keys"]["pk"]["S"]
                sink.put_item(Item={
                    "id": record["eventName"] + "#" + key,
                    "identity": json.dumps(record.get("userIdentity")),
                    "seen_at": repr(time.time()),
                })
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Source.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
Outputs:
  Source: {Value: !Ref Source}
  Sink: {Value: !Ref Sink}
"""


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def wait_for(condition: Callable[[], Any], timeout: float, message: str, interval: float = 0.05) -> Any:
    """Polls ``condition`` until it returns something truthy, which it returns; fails at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def create_function(aws: Callable[[str], Any], name: str, code: dict[str, str], **options: Any) -> str:
    lambda_client = aws("lambda")
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=ROLE,
        Handler=options.pop("Handler", "app.handler"),
        Code={"ZipFile": make_zip(code)},
        **options,
    )
    wait_for(
        lambda: lambda_client.get_function(FunctionName=name)["Configuration"]["State"] == "Active",
        30,
        f"function {name} to become active",
    )
    return name


def invoke(
    aws: Callable[[str], Any], name: str, event: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str | None, str]:
    """Invokes synchronously; returns the decoded payload, the FunctionError (if any) and the log tail."""
    response = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(event or {}), LogType="Tail")
    payload = json.loads(response["Payload"].read() or b"null")
    return payload, response.get("FunctionError"), base64.b64decode(response.get("LogResult", "")).decode()


@pytest.fixture(scope="module")
def toolbox(aws: Callable[[str], Any]) -> str:
    return create_function(aws, f"toolbox-{uuid.uuid4().hex[:8]}", {"app.py": TOOLBOX}, Timeout=2)


def test_invoke_with_layers_environment_and_endpoint(aws: Callable[[str], Any], localstack: Any) -> None:
    lambda_client = aws("lambda")
    bucket = f"bucket-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=bucket)
    first = lambda_client.publish_layer_version(
        LayerName="buynest-first",
        Content={
            "ZipFile": make_zip(
                {
                    "python/buynest_layer_a.py": "VALUE = 'from layer a'\n",
                    "python/shadowed.py": "WHO = 'first layer'\n",
                    "python/lib/python3.13/site-packages/buynest_sitepkg.py": "VALUE = 'from site-packages'\n",
                }
            )
        },
        CompatibleRuntimes=["python3.13"],
    )
    second = lambda_client.publish_layer_version(
        LayerName="buynest-second",
        Content={"ZipFile": make_zip({"python/shadowed.py": "WHO = 'second layer'\n"})},
        CompatibleRuntimes=["python3.13"],
    )
    name = create_function(
        aws,
        f"layered-{uuid.uuid4().hex[:8]}",
        {"app.py": LAYERED},
        Layers=[first["LayerVersionArn"], second["LayerVersionArn"]],
        Environment={"Variables": {"GREETING": "hello"}},
        MemorySize=256,
        Timeout=5,
    )

    payload, error, logs = invoke(aws, name)

    assert error is None, payload
    assert payload["layer"] == "from layer a"
    assert payload["site"] == "from site-packages"
    assert payload["shadowed"] == "second layer"
    assert payload["greeting"] == "hello"
    assert payload["function_name"] == name
    assert payload["region"] == payload["default_region"] == "us-east-1"
    assert payload["memory"] == "256"
    assert payload["version"] == "$LATEST"
    assert payload["handler"] == "app.handler"
    assert payload["log_group"] == f"/aws/lambda/{name}"
    assert payload["task_root_is_cwd"] is True
    assert payload["endpoint"] == localstack.endpoint
    assert payload["account"] == "000000000000"
    assert bucket in payload["buckets"]
    assert payload["pytest_importable"] is False
    assert 0 < payload["remaining_ms"] <= 5000
    assert "Init Duration" in logs and "REPORT RequestId" in logs


def test_timeout_reports_sandbox_timedout_and_environment_recovers(aws: Callable[[str], Any], toolbox: str) -> None:
    started = time.monotonic()
    payload, error, logs = invoke(aws, toolbox, {"sleep": 30})
    elapsed = time.monotonic() - started

    assert error == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 2.00 seconds" in payload["errorMessage"]
    assert "Task timed out after 2.00 seconds" in logs and "Status: timeout" in logs
    assert 2 <= elapsed < 5

    payload, error, _ = invoke(aws, toolbox)
    assert error is None and payload["pid"] > 0


def test_crash_reports_exit_error_and_environment_recovers(aws: Callable[[str], Any], toolbox: str) -> None:
    before, _, _ = invoke(aws, toolbox)

    payload, error, logs = invoke(aws, toolbox, {"exit": 3})

    assert error == "Unhandled"
    assert payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Runtime exited with error: exit status 3")
    assert "exiting" in logs
    after, error, _ = invoke(aws, toolbox)
    assert error is None and after["pid"] != before["pid"]


def test_handler_exception_keeps_environment(aws: Callable[[str], Any], toolbox: str) -> None:
    before, _, _ = invoke(aws, toolbox)

    payload, error, logs = invoke(aws, toolbox, {"raise": "boom"})

    assert error == "Unhandled"
    assert payload["errorType"] == "ValueError" and payload["errorMessage"] == "boom"
    assert "boom" in logs
    after, _, _ = invoke(aws, toolbox)
    assert after["pid"] == before["pid"]


def test_import_error_reports_import_module_error(aws: Callable[[str], Any]) -> None:
    name = create_function(aws, f"broken-{uuid.uuid4().hex[:8]}", {"app.py": "import no_such_module\n"}, Timeout=3)

    for _ in range(2):
        payload, error, logs = invoke(aws, name)
        assert error == "Unhandled"
        assert payload["errorType"] == "Runtime.ImportModuleError"
        assert "No module named 'no_such_module'" in payload["errorMessage"]
        assert "Runtime.ImportModuleError" in logs


def test_concurrent_invocations_run_in_parallel_processes(aws: Callable[[str], Any], toolbox: str) -> None:
    clients = [aws("lambda"), aws("lambda")]

    def call(client: Any) -> dict[str, Any]:
        response = client.invoke(FunctionName=toolbox, Payload=json.dumps({"sleep": 1}))
        assert "FunctionError" not in response
        result: dict[str, Any] = json.loads(response["Payload"].read())
        return result

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(call, clients))
    elapsed = time.monotonic() - started

    assert elapsed < 2, f"two 1 s invocations took {elapsed:.2f} s"
    assert results[0]["pid"] != results[1]["pid"]


SLOW_INIT = """\
import os
import time

STARTED = time.time()
time.sleep(0.6)
READY = time.time()


def handler(event, context):
    return {"pid": os.getpid(), "init": [STARTED, READY]}
"""


def test_a_burst_of_cold_starts_is_admitted_two_at_a_time(aws: Callable[[str], Any]) -> None:
    # this LocalStack runs with BUYNEST_LAMBDA_COLD_STARTS=2 (conftest)
    name = create_function(aws, f"slow-init-{uuid.uuid4().hex[:8]}", {"app.py": SLOW_INIT}, Timeout=2)
    clients = [aws("lambda") for _ in range(6)]

    def call(client: Any) -> dict[str, Any]:
        response = client.invoke(FunctionName=name, Payload=b"{}")
        assert "FunctionError" not in response, response["Payload"].read()
        result: dict[str, Any] = json.loads(response["Payload"].read())
        return result

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(call, clients))

    # six environments, each initialised in its own ~0.6 s, never more than two at once, none timed out
    assert len({result["pid"] for result in results}) == 6
    inits = [result["init"] for result in results]
    assert all(ready - started < 1.5 for started, ready in inits)
    most_at_once = max(sum(1 for s, r in inits if s <= moment < r) for moment, _ in inits)
    assert most_at_once <= 2, inits
    assert max(ready for _, ready in inits) - min(started for started, _ in inits) >= 3 * 0.6


def test_logs_reach_cloudwatch_and_developer_log(aws: Callable[[str], Any], toolbox: str, localstack: Any) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    _, error, _ = invoke(aws, toolbox, {"marker": marker})
    assert error is None
    logs_client = aws("logs")

    def logged() -> bool:
        try:
            events = logs_client.filter_log_events(logGroupName=f"/aws/lambda/{toolbox}")["events"]
        except logs_client.exceptions.ResourceNotFoundException:
            return False
        return any(marker in event["message"] for event in events)

    wait_for(logged, 10, "the marker in CloudWatch Logs")
    if localstack.local_dir is not None:
        developer_log = localstack.local_dir / "logs" / "lambda" / f"{toolbox}.log"
        assert marker in developer_log.read_text()


def test_a_burst_of_invocations_reaches_cloudwatch_in_order_in_fewer_calls(
    aws: Callable[[str], Any], localstack: Any
) -> None:
    """Lambda's logs are shipped in batches (buynest_localstack.logbatch): every line arrives, in order, in fewer
    PutLogEvents calls than invocations."""
    name = create_function(aws, f"logbatch-{uuid.uuid4().hex[:8]}", {"app.py": TOOLBOX}, Timeout=5)
    logs_client = aws("logs")
    group = f"/aws/lambda/{name}"

    def messages_with(markers: list[str]) -> list[dict[str, Any]] | None:
        try:
            events = logs_client.filter_log_events(logGroupName=group)["events"]
        except logs_client.exceptions.ResourceNotFoundException:
            return None
        found = [event for event in events if any(marker in event["message"] for marker in markers)]
        return found if len(found) == len(markers) else None

    warm = f"warm-{uuid.uuid4().hex}"
    assert invoke(aws, name, {"marker": warm})[1] is None
    wait_for(lambda: messages_with([warm]), 15, "the first invocation's log in CloudWatch Logs")
    calls = localstack.endpoint + "/_buynest/calls"
    requests.delete(calls, timeout=10)
    markers = [f"burst-{i}-{uuid.uuid4().hex}" for i in range(8)]
    for marker in markers:
        assert invoke(aws, name, {"marker": marker})[1] is None
    found = wait_for(lambda: messages_with(markers), 15, "every invocation's log in CloudWatch Logs")
    assert [event["message"] for event in found] == [marker + "\n" for marker in markers]
    stamps = [event["timestamp"] for event in found]
    assert stamps == sorted(stamps)
    rows = requests.get(calls, timeout=10).json()["calls"]
    puts = sum(r["count"] for r in rows if (r["service"], r["operation"]) == ("logs", "PutLogEvents"))
    assert 1 <= puts < len(markers), rows


def test_dynamodb_gsi_and_conditional_put(aws: Callable[[str], Any]) -> None:
    dynamodb = aws("dynamodb")
    table = f"orders-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-status",
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    for key, status in (("o1", "PAID"), ("o2", "NEW"), ("o3", "PAID")):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": key}, "status": {"S": status}})

    paid = dynamodb.query(
        TableName=table,
        IndexName="by-status",
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "PAID"}},
    )
    assert sorted(item["pk"]["S"] for item in paid["Items"]) == ["o1", "o3"]

    with pytest.raises(ClientError) as failure:
        dynamodb.put_item(
            TableName=table,
            Item={"pk": {"S": "o1"}, "status": {"S": "NEW"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    assert failure.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_dynamodb_cancelled_transaction_writes_nothing(aws: Callable[[str], Any]) -> None:
    dynamodb = aws("dynamodb")
    table = f"stock-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "sku-1"}, "stock": {"N": "0"}})

    with pytest.raises(ClientError) as failure:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "reservation-1"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "sku-1"}},
                        "UpdateExpression": "SET stock = stock - :one",
                        "ConditionExpression": "stock >= :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )

    error = failure.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in error["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "reservation-1"}})
    stock = dynamodb.get_item(TableName=table, Key={"pk": {"S": "sku-1"}})["Item"]["stock"]["N"]
    assert stock == "0"


def deploy_stack(aws: Callable[[str], Any], template: str, prefix: str) -> dict[str, str]:
    """Create a CloudFormation stack from ``template`` and wait until it is complete; its outputs by key."""
    cloudformation = aws("cloudformation")
    stack = f"{prefix}-{uuid.uuid4().hex[:8]}"
    cloudformation.create_stack(
        StackName=stack, TemplateBody=template, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    )

    def created() -> dict[str, Any] | None:
        description = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        assert not description["StackStatus"].endswith(("FAILED", "ROLLBACK_COMPLETE")), description
        return description if description["StackStatus"] == "CREATE_COMPLETE" else None

    return {o["OutputKey"]: o["OutputValue"] for o in wait_for(created, 30, "the stack")["Outputs"]}


def test_stream_to_lambda_from_sam_template(aws: Callable[[str], Any], localstack: Any) -> None:
    outputs = deploy_stack(aws, STREAM_TEMPLATE, "stream")
    dynamodb = aws("dynamodb")

    def delivered(record_id: str) -> dict[str, Any] | None:
        response = dynamodb.get_item(TableName=outputs["Sink"], Key={"id": {"S": record_id}})
        item: dict[str, Any] | None = response.get("Item")
        return item

    dynamodb.put_item(TableName=outputs["Source"], Item={"pk": {"S": "first"}})
    wait_for(lambda: delivered("INSERT#first"), 20, "the INSERT of 'first' to reach the function")

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": outputs["Source"], "Item": {"pk": {"S": "rolled-back"}}}},
                {
                    "ConditionCheck": {
                        "TableName": outputs["Source"],
                        "Key": {"pk": {"S": "missing"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    latencies = []
    for index in range(3):
        put_at = time.time()
        dynamodb.put_item(TableName=outputs["Source"], Item={"pk": {"S": f"after-{index}"}})
        record_id = f"INSERT#after-{index}"
        item = wait_for(functools.partial(delivered, record_id), 10, record_id)
        latencies.append(float(item["seen_at"]["S"]) - put_at)
    assert delivered("INSERT#rolled-back") is None
    print(f"stream -> lambda latency: {', '.join(f'{latency * 1000:.0f} ms' for latency in latencies)}")

    dynamodb.put_item(
        TableName=outputs["Source"],
        Item={"pk": {"S": "expiring"}, "expires_at": {"N": str(int(time.time()) - 10)}},
    )
    wait_for(lambda: delivered("INSERT#expiring"), 10, "the INSERT of 'expiring'")
    expired = requests.delete(f"{localstack.endpoint}/_aws/dynamodb/expired", timeout=10).json()
    assert expired["ExpiredItems"] >= 1
    removed = wait_for(lambda: delivered("REMOVE#expiring"), 10, "the TTL REMOVE of 'expiring'")
    assert json.loads(removed["identity"]["S"]) == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def test_s3_scratch_files_stay_under_the_instance_tmpdir(aws: Callable[[str], Any], localstack: Any) -> None:
    if localstack.local_dir is None:
        pytest.skip("the state directory of the LocalStack under test is unknown")
    bucket = f"scratch-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=bucket)

    assert (localstack.local_dir / "localstack" / "tmp" / "localstack-s3-storage" / bucket).is_dir()
    assert not (Path("/tmp/localstack-s3-storage") / bucket).exists()


def test_served_calls_are_counted_by_service_and_operation(aws: Callable[[str], Any], localstack: Any) -> None:
    calls = localstack.endpoint + "/_buynest/calls"
    assert requests.delete(calls, timeout=10).json() == {"calls": []}
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName="count-me")["QueueUrl"]
    for _ in range(3):
        sqs.send_message(QueueUrl=url, MessageBody="x")
    rows = requests.get(calls, timeout=10).json()["calls"]
    counted = {(r["service"], r["operation"], r["kind"]): r["count"] for r in rows}
    assert counted[("sqs", "SendMessage", "external")] == 3
    assert counted[("sqs", "CreateQueue", "external")] == 1


def test_hot_reloaded_code_and_layer_are_live_on_the_next_invocation(aws: Callable[[str], Any], tmp_path: Path) -> None:
    """Guards hot reload (make dev): a function and a layer whose code is a host directory (LocalStack's
    ``hot-reload`` bucket) run that directory as it is now: an edit of either, even one that keeps the file's size
    within the same second (the case Python's own bytecode cache cannot see), is live on the next invocation,
    in a new process; an invocation after no edit reuses the warm one."""
    code, layer = tmp_path / "code", tmp_path / "layer"
    (layer / "python").mkdir(parents=True)
    code.mkdir()
    (code / "app.py").write_text(
        "import os\nimport hot_shared\n\ndef handler(event, context):\n"
        "    return {'code': 'v1', 'layer': hot_shared.VALUE, 'pid': os.getpid()}\n"
    )
    (layer / "python" / "hot_shared.py").write_text("VALUE = 'layer-1'\n")
    hot_layer = aws("lambda").publish_layer_version(
        LayerName=f"hot-{uuid.uuid4().hex[:8]}",
        Content={"S3Bucket": "hot-reload", "S3Key": str(layer)},
        CompatibleRuntimes=["python3.13"],
    )
    name = f"hot-{uuid.uuid4().hex[:8]}"
    aws("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "hot-reload", "S3Key": str(code)},
        Layers=[hot_layer["LayerVersionArn"]],
        Timeout=5,
    )
    wait_for(
        lambda: aws("lambda").get_function(FunctionName=name)["Configuration"]["State"] == "Active",
        30,
        f"function {name} to become active",
    )

    first, error, _ = invoke(aws, name)
    assert error is None, first
    assert (first["code"], first["layer"]) == ("v1", "layer-1")
    warm, _, _ = invoke(aws, name)
    assert warm["pid"] == first["pid"]

    (code / "app.py").write_text((code / "app.py").read_text().replace("'v1'", "'v2'"))
    edited, error, _ = invoke(aws, name)
    assert error is None, edited
    assert (edited["code"], edited["layer"]) == ("v2", "layer-1")
    assert edited["pid"] != first["pid"]

    (layer / "python" / "hot_shared.py").write_text("VALUE = 'layer-2'\n")
    relayered, error, _ = invoke(aws, name)
    assert error is None, relayered
    assert (relayered["code"], relayered["layer"]) == ("v2", "layer-2")
