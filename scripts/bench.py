"""`make bench`: Buynest's speed figures on the local stack, printed as a table and written to
.local/bench/latest.json. Nothing here is a test: it measures.

  cold start   each function's init (imports + its first AWS client) in a fresh process of the runtime venv,
               divided by bare `import boto3; boto3.client("dynamodb")` and by a cookbook-style Powertools peer
               (resolver + Logger + one pydantic model + a DynamoDB client, nothing of ours), both measured in the
               same run
  gateway      GET /products latency divided by GET /health (a no-op function) behind the same local gateway
  saga         POST /orders -> CONFIRMED, p50/p99, for 1 shopper ordering one after another and for 20
               concurrent shoppers in a closed loop (each orders again once its order is final), after a warm-up
               round at the same concurrency; confirmed orders per minute; oversell check; CPU seconds per
               confirmed order of LocalStack's process and of the function processes (their own counters)
  idle CPU     LocalStack's CPU while nothing happens, measured after the saga
  coupon rush  POST /coupons/{code}/issue from many customers at once: issues per second, p99, exactly-N check
  search       GET /products?q=&sort= at 1,000 and 10,000 products (--quick: 1,000 only): index items per product,
               postings read per query, p50/p95 latency; the products are written straight into the products and
               name-index tables (BatchWriteItem, the index items made by the indexer's own code), not through the API
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import batched
from pathlib import Path
from typing import Any

import boto3
import requests
from make_admin import invoke_make_admin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.cfn_template import resources, template  # noqa: E402  (the one template.yaml loader)

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", ROOT / ".local"))
FINAL = {"CONFIRMED", "FAILED", "CANCELLED"}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


class Client:
    """HTTP client of the API with one session per thread (requests sessions are not thread-safe)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._local = threading.local()

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> requests.Response:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        headers = dict(kw.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self._local.session.request(method, self.base + path, headers=headers, timeout=60, **kw)


# ---------------------------------------------------------------- cold start


def function_modules() -> list[tuple[str, str, str]]:
    """(CodeUri dir, module, logical id) of every function in template.yaml, one per (CodeUri, module)."""
    found: dict[tuple[str, str], str] = {}
    for logical_id, res in sorted(resources("AWS::Serverless::Function").items()):
        props = res["Properties"]
        found.setdefault((props["CodeUri"].rstrip("/"), props["Handler"].rsplit(".", 1)[0]), logical_id)
    return sorted((code_dir, module, logical_id) for (code_dir, module), logical_id in found.items())


INIT_PROBE = r"""
import os, sys, time
t0 = time.perf_counter()
{body}
print(time.perf_counter() - t0)
"""


def measure_init(python: str, paths: list[str], body: str, env: dict[str, str]) -> float:
    code = INIT_PROBE.format(body=body)
    out = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, env={**env, "PYTHONPATH": os.pathsep.join(paths)}
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return float(out.stdout.strip().splitlines()[-1])


# A cookbook-style Powertools function (as in Powertools' REST API tutorial): resolver with validation, Logger, one
# pydantic model, a DynamoDB client at module level. Nothing of Buynest's.
PEER_FUNCTION = """\
import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True)
dynamodb = boto3.client("dynamodb")


class Todo(BaseModel):
    id: str = Field(min_length=1)
    title: str
    completed: bool = False


@app.post("/todos")
def create_todo(todo: Todo) -> Todo:
    dynamodb.put_item(TableName="todos", Item={"id": {"S": todo.id}, "title": {"S": todo.title}})
    return todo


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
"""


def cold_starts(rounds: int) -> dict[str, Any]:
    # the deployed artifacts (with the bytecode scripts/stack.py ships), read-only as on AWS: nothing is written
    build = LOCAL / "sam-build"
    python = str(LOCAL / "runtime-venv" / "bin" / "python")
    deps = str(build / "DepsLayer" / "python")
    imaging = str(build / "ImagingLayer" / "python")
    shared = str(build / "BuynestLayer" / "python")
    env = {
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "Buynest",
        "POWERTOOLS_SERVICE_NAME": "bench",
        "EVENT_BUS_NAME": "buynest",
    }  # fmt: skip
    # plus the functions' own constant settings from the template's Globals (PYDANTIC_DISABLE_PLUGINS, ...)
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    env.update({key: value for key, value in variables.items() if isinstance(value, str)})
    floor_body = "import boto3\nboto3.client('dynamodb')"
    floors = [measure_init(python, [deps], floor_body, env) for _ in range(rounds)]
    floor = statistics.median(floors)
    peer_dir = LOCAL / "bench" / "peer"
    peer_dir.mkdir(parents=True, exist_ok=True)
    (peer_dir / "peer_app.py").write_text(PEER_FUNCTION)
    peer_body = "import peer_app\nimport boto3\nboto3.client('dynamodb')"
    peer = statistics.median([measure_init(python, [str(peer_dir), deps], peer_body, env) for _ in range(rounds)])
    rows = []
    for code_dir, module, logical_id in function_modules():
        paths = [str(build / logical_id), imaging, deps, shared]
        body = f"import {module}\nimport boto3\nboto3.client('dynamodb')"
        times = [measure_init(python, paths, body, env) for _ in range(rounds)]
        init = statistics.median(times)
        name = f"{code_dir.split('/', 1)[1]}/{module}"
        rows.append({"function": name, "initMs": round(init * 1000, 1), "ratio": round(init / floor, 2),
                     "peerRatio": round(init / peer, 2)})  # fmt: skip
    rows.sort(key=lambda r: -r["ratio"])
    return {
        "floorMs": round(floor * 1000, 1),
        "peerMs": round(peer * 1000, 1),
        "functions": rows,
        "worstRatio": rows[0]["ratio"] if rows else None,
        "worstPeerRatio": max(r["peerRatio"] for r in rows) if rows else None,
        "medianPeerRatio": round(statistics.median(r["peerRatio"] for r in rows), 2) if rows else None,
    }


# ---------------------------------------------------------------- CPU counters

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid: int) -> float | None:
    """utime + stime of one process (its own threads, not its children), from /proc; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children() -> dict[int, list[int]]:
    listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True, check=False).stdout
    children: dict[int, list[int]] = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 2:
            children.setdefault(int(parts[1]), []).append(int(parts[0]))
    return children


class CpuMeter:
    """CPU seconds of LocalStack's process and of the processes below it (the functions), from the kernel's own
    counters (/proc). A function process that ends between two readings loses its CPU since the first (with
    LocalStack's 10-minute keep-alive, none does during a bench)."""

    def __init__(self) -> None:
        try:
            self.pid: int | None = int((LOCAL / "localstack.pid").read_text().strip())
        except (OSError, ValueError):
            self.pid = None
        self.available = self.pid is not None and _proc_cpu(self.pid) is not None

    def read(self) -> tuple[float, dict[int, float]]:
        if not self.available or self.pid is None:
            return 0.0, {}
        children, below, pending = _children(), {}, [self.pid]
        while pending:
            for child in children.get(pending.pop(), []):
                if (cpu := _proc_cpu(child)) is not None:
                    below[child] = cpu
                pending.append(child)
        return _proc_cpu(self.pid) or 0.0, below

    @staticmethod
    def used(start: tuple[float, dict[int, float]], end: tuple[float, dict[int, float]]) -> tuple[float, float]:
        """(LocalStack's, the functions') CPU seconds between two readings."""
        functions = sum(cpu - start[1].get(pid, 0.0) for pid, cpu in end[1].items())
        return end[0] - start[0], functions


def idle_cpu(meter: CpuMeter, settle: float, seconds: float) -> dict[str, Any]:
    """LocalStack's share of one core while nothing happens, after ``settle`` seconds of quiet."""
    time.sleep(settle)  # not a wait for a condition: the quiet period before measuring is part of the measure
    start = meter.read()
    time.sleep(seconds)
    localstack, functions = CpuMeter.used(start, meter.read())
    return {"seconds": seconds, "localstackPercent": round(localstack / seconds * 100, 1),
            "functionsPercent": round(functions / seconds * 100, 1), "load": os.getloadavg()[0]}  # fmt: skip


# ---------------------------------------------------------------- stack helpers


def outputs() -> dict[str, str]:
    return json.loads((LOCAL / "outputs.json").read_text())


def make_admin(out: dict[str, str], api: Client) -> str:
    email, password = f"bench-admin-{uuid.uuid4().hex[:8]}@example.com", "bench-admin-1"
    invoke_make_admin(out, email, password)
    return str(api.call("POST", "/auth/login", json={"email": email, "password": password}).json()["token"])


def make_customer(api: Client) -> str:
    email, password = f"bench-{uuid.uuid4().hex[:12]}@example.com", "bench-password-1"
    assert (
        api.call("POST", "/auth/signup", json={"email": email, "password": password, "name": "Bench"}).status_code
        == 201
    )
    return str(api.call("POST", "/auth/login", json={"email": email, "password": password}).json()["token"])


def timed(fn: Callable[[], requests.Response]) -> tuple[float, requests.Response]:
    t0 = time.perf_counter()
    resp = fn()
    return time.perf_counter() - t0, resp


# ---------------------------------------------------------------- gateway ratio


def gateway_ratio(api: Client, n: int) -> dict[str, Any]:
    for _ in range(10):
        api.call("GET", "/health")
        api.call("GET", "/products", params={"limit": 20})
    health = [timed(lambda: api.call("GET", "/health"))[0] for _ in range(n)]
    products = [timed(lambda: api.call("GET", "/products", params={"limit": 20}))[0] for _ in range(n)]
    return {
        "healthP50Ms": round(pct(health, 50) * 1000, 1),
        "productsP50Ms": round(pct(products, 50) * 1000, 1),
        "ratio": round(pct(products, 50) / pct(health, 50), 2),
    }


# ---------------------------------------------------------------- saga


class SettledListener:
    """Learns when orders become final from the bus itself (a rule -> queue the benchmark creates and long-polls),
    so measuring does not load the stack with status polling. Latency is measured to the moment the final event
    is received here, which slightly overstates it (EventBridge -> SQS -> this process)."""

    def __init__(self, out: dict[str, str]) -> None:
        kw = {"endpoint_url": out["Endpoint"], "region_name": out["Region"],
              "aws_access_key_id": "test", "aws_secret_access_key": "test"}  # fmt: skip
        self.sqs, self.events = boto3.client("sqs", **kw), boto3.client("events", **kw)
        self.bus, self.name = out["EventBusName"], f"bench-{uuid.uuid4().hex[:8]}"
        self.url = self.sqs.create_queue(QueueName=self.name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"source": ["buynest.orders"], "detail-type": ["OrderConfirmed", "OrderFailed"]}
        self.events.put_rule(Name=self.name, EventBusName=self.bus, EventPattern=json.dumps(pattern))
        self.events.put_targets(Rule=self.name, EventBusName=self.bus, Targets=[{"Id": "bench", "Arn": arn}])
        self.settled: dict[str, tuple[float, str]] = {}
        self.cond = threading.Condition()
        self.running = True
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        while self.running:
            resp = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            now = time.perf_counter()
            messages = resp.get("Messages", [])
            for m in messages:
                event = json.loads(m["Body"])
                status = "CONFIRMED" if event["detail-type"] == "OrderConfirmed" else "FAILED"
                with self.cond:
                    self.settled[event["detail"]["data"]["orderId"]] = (now, status)
                    self.cond.notify_all()
            if messages:
                self.sqs.delete_message_batch(
                    QueueUrl=self.url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
                )

    def wait(self, order_id: str, timeout: float = 120) -> tuple[float, str]:
        with self.cond:
            self.cond.wait_for(lambda: order_id in self.settled, timeout=timeout)
            return self.settled.get(order_id, (time.perf_counter(), "STUCK"))

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        self.events.remove_targets(Rule=self.name, EventBusName=self.bus, Ids=["bench"])
        self.events.delete_rule(Name=self.name, EventBusName=self.bus)
        self.sqs.delete_queue(QueueUrl=self.url)


def place_and_wait(api: Client, listener: SettledListener, token: str, product_id: str) -> tuple[float, str]:
    body = {"items": [{"productId": product_id, "quantity": 1}], "payment": {"method": "card", "token": "tok_ok"}}
    t0 = time.perf_counter()
    resp = api.call("POST", "/orders", token=token, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    if resp.status_code != 202:
        raise RuntimeError(f"POST /orders gave {resp.status_code}: {resp.text}")
    settled_at, status = listener.wait(resp.json()["orderId"])
    return settled_at - t0, status


def saga(
    api: Client,
    listener: SettledListener,
    admin: str,
    shoppers: int,
    orders_each: int,
    warmup_each: int,
    meter: CpuMeter | None = None,
) -> dict[str, Any]:
    mug = {"name": "Bench mug", "price": 10000, "stock": 100000, "category": "bench"}
    product = api.call("POST", "/products", token=admin, json=mug).json()
    pid = product["productId"]
    # set-up, not measured: a few at a time (each signup and login is an Argon2id hash; 20 at once on two cores
    # can outlast the function's timeout)
    with ThreadPoolExecutor(min(shoppers, 4)) as pool:
        tokens = list(pool.map(lambda _: make_customer(api), range(shoppers)))

    def shopper(token: str, count: int) -> list[tuple[float, str]]:
        return [place_and_wait(api, listener, token, pid) for _ in range(count)]

    with ThreadPoolExecutor(shoppers) as pool:
        list(pool.map(lambda t: shopper(t, warmup_each), tokens))
    stock_before = int(api.call("GET", f"/products/{pid}").json()["stock"])
    cpu_start = meter.read() if meter else None
    t0 = time.perf_counter()
    with ThreadPoolExecutor(shoppers) as pool:
        results = [r for rs in pool.map(lambda t: shopper(t, orders_each), tokens) for r in rs]
    elapsed = time.perf_counter() - t0
    cpu = CpuMeter.used(cpu_start, meter.read()) if meter and cpu_start and meter.available else None
    stock_after = int(api.call("GET", f"/products/{pid}").json()["stock"])
    latencies = [lat for lat, status in results if status == "CONFIRMED"]
    confirmed = len(latencies)
    result: dict[str, Any] = {
        "shoppers": shoppers,
        "orders": len(results),
        "confirmed": confirmed,
        "notConfirmed": len(results) - confirmed,
        "p50S": round(pct(latencies, 50), 3),
        "p99S": round(pct(latencies, 99), 3),
        "confirmedPerMinute": round(confirmed / elapsed * 60, 1),
        "oversold": (stock_before - stock_after) != confirmed,
        "seconds": round(elapsed, 1),
        "load": os.getloadavg()[0],
    }
    if cpu is not None:
        result["localstackCpuPerOrderS"] = round(cpu[0] / max(confirmed, 1), 3)
        result["functionsCpuPerOrderS"] = round(cpu[1] / max(confirmed, 1), 3)
        result["localstackCoreShare"] = round(cpu[0] / elapsed, 2)
    return result


# ---------------------------------------------------------------- AWS calls per order

# AWS list prices, us-east-1, USD (2026): per request / per unit as noted.
PRICES = {
    "apigateway": 3.50e-6,  # REST API request
    "lambda": 0.20e-6 + 0.5 * 0.1 * 16.6667e-6,  # request + 100 ms at 512 MB (an assumption: most run 10-60 ms)
    "dynamodb_read": 0.125e-6,  # on-demand read request unit
    "dynamodb_write": 0.625e-6,  # on-demand write request unit
    "events": 1.00e-6,  # custom event published
    "sqs": 0.40e-6,  # standard queue request
    "stepfunctions": 25.0e-6,  # standard workflow state transition
}
DDB_READS = {"GetItem": 1, "Query": 1, "BatchGetItem": 1, "Scan": 1}
DDB_WRITES = {"PutItem": 1, "UpdateItem": 1, "DeleteItem": 1, "TransactWriteItems": 4, "BatchWriteItem": 2}
# Calls that happen with time rather than with orders (pollers), counted separately.
POLLING = {
    ("sqs", "ReceiveMessage"),
    ("dynamodbstreams", "GetRecords"),
    ("dynamodbstreams", "GetShardIterator"),
    ("dynamodbstreams", "DescribeStream"),
    ("stepfunctions", "DescribeExecution"),
    ("lambda", "GetFunction"),
}


def calls_per_order(
    api: Client, out: dict[str, str], listener: SettledListener, admin: str, orders: int
) -> dict[str, Any]:
    """Counts every AWS call LocalStack serves while one shopper places ``orders`` orders one after another."""
    calls_url = out["Endpoint"] + "/_buynest/calls"
    mug = {"name": "Bench counter", "price": 10000, "stock": 100000, "category": "bench"}
    pid = api.call("POST", "/products", token=admin, json=mug).json()["productId"]
    token = make_customer(api)
    place_and_wait(api, listener, token, pid)  # warm
    requests.delete(calls_url, timeout=10)
    t0 = time.perf_counter()
    statuses = [place_and_wait(api, listener, token, pid)[1] for _ in range(orders)]
    elapsed = time.perf_counter() - t0
    rows = requests.get(calls_url, timeout=10).json()["calls"]
    confirmed = statuses.count("CONFIRMED")
    per_order: dict[str, float] = {}
    polling: dict[str, float] = {}
    for row in rows:
        key = (row["service"], row["operation"])
        target = polling if key in POLLING else per_order
        name = f"{row['service']}:{row['operation']}"
        target[name] = target.get(name, 0) + row["count"] / max(confirmed, 1)
    by_service: dict[str, float] = {}
    for name, n in per_order.items():
        by_service[name.split(":")[0]] = by_service.get(name.split(":")[0], 0) + n
    # API Gateway, event source mappings and Step Functions all invoke functions through LocalStack's Invoke.
    lambda_invokes = per_order.get("lambda:Invoke", 0)
    state_transitions = 5  # the happy path enters 4 states (NeedsPayment, Authorize, Capture, Confirm) + start
    cost = (
        1 * PRICES["apigateway"]
        + lambda_invokes * PRICES["lambda"]
        + sum(n * DDB_READS.get(name.split(":")[1], 0) for name, n in per_order.items() if name.startswith("dynamodb:"))
        * PRICES["dynamodb_read"]
        + sum(
            n * DDB_WRITES.get(name.split(":")[1], 0) for name, n in per_order.items() if name.startswith("dynamodb:")
        )
        * PRICES["dynamodb_write"]
        + sum(n for name, n in per_order.items() if name == "events:PutEvents") * PRICES["events"]
        + sum(n for name, n in per_order.items() if name.startswith("sqs:")) * PRICES["sqs"]
        + state_transitions * PRICES["stepfunctions"]
    )
    return {
        "orders": orders,
        "confirmed": confirmed,
        "seconds": round(elapsed, 1),
        "perOrder": {k: round(v, 2) for k, v in sorted(per_order.items())},
        "perOrderByService": {k: round(v, 2) for k, v in sorted(by_service.items())},
        "pollingPerOrder": {k: round(v, 1) for k, v in sorted(polling.items())},
        "usdPerMillionOrders": round(cost * 1e6, 0),
    }


# ---------------------------------------------------------------- coupon rush


def coupon_rush(api: Client, admin: str, customers: int, quantity: int) -> dict[str, Any]:
    code = f"RUSH{uuid.uuid4().hex[:8].upper()}"
    expires = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "code": code,
        "discountType": "FIXED",
        "value": 1000,
        "totalQuantity": quantity,
        "expiresAt": expires,
        "minOrderAmount": 0,
    }
    assert api.call("POST", "/coupons", token=admin, json=body).status_code == 201
    warm = {**body, "code": code + "W", "totalQuantity": customers}
    assert api.call("POST", "/coupons", token=admin, json=warm).status_code == 201
    with ThreadPoolExecutor(16) as pool:
        tokens = list(pool.map(lambda _: make_customer(api), range(customers)))
    with ThreadPoolExecutor(32) as pool:  # warm-up round at the rush's concurrency, on another campaign
        list(pool.map(lambda t: api.call("POST", f"/coupons/{code}W/issue", token=t), tokens))

    def press(token: str) -> tuple[float, int]:
        lat, resp = timed(lambda: api.call("POST", f"/coupons/{code}/issue", token=token))
        return lat, resp.status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(press, tokens))
    elapsed = time.perf_counter() - t0
    statuses: dict[int, int] = {}
    for _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    issued = int(api.call("GET", f"/coupons/{code}", token=admin).json()["issuedCount"])
    lats = [lat for lat, _ in results]
    return {
        "requests": len(results),
        "quantity": quantity,
        "issued": issued,
        "exact": issued == quantity == statuses.get(201, 0),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "requestsPerSecond": round(len(results) / elapsed, 1),
        "p50Ms": round(pct(lats, 50) * 1000, 1),
        "p99Ms": round(pct(lats, 99) * 1000, 1),
        "any5xx": any(s >= 500 for _, s in results),
    }


# ---------------------------------------------------------------- search

SEARCH_CATEGORY = "bench-search"
SEARCH_ADJECTIVES = ["blue", "green", "small", "large", "round", "square", "matte", "glossy", "tall", "flat"]
SEARCH_MATERIALS = ["ceramic", "glass", "linen", "oak", "steel", "bamboo", "stoneware", "cotton", "brass", "clay"]
SEARCH_NOUNS = ["mug", "bowl", "plate", "teapot", "apron", "tray", "vase", "cup", "jar", "spoon"]
SEARCH_BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _search_modules() -> Any:
    """The products service's own index code (so the seeded index is what the stream consumer would write), on
    the local stack's endpoint."""
    sys.path.insert(0, str(ROOT / "layers" / "buynest" / "python"))
    import types

    from buynest.products import search, search_store, store

    return types.SimpleNamespace(search=search, search_store=search_store, store=store)


def bench_indexed(m: Any, i: int) -> Any:
    name = f"{SEARCH_ADJECTIVES[i % 10]} {SEARCH_MATERIALS[(i // 10) % 10]} {SEARCH_NOUNS[(i // 100) % 10]} b{i:05d}"
    created = (SEARCH_BASE + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # a version above any the stream consumer derives for this image: it finds the product filed and writes nothing
    return m.search.Indexed(f"BENCHSEARCH{i:06d}", name, 1_000 + (i * 7_919) % 100_000, SEARCH_CATEGORY, created,
                            f"{created}|{'9' * 40}")  # fmt: skip


def _ddb(out: dict[str, str]) -> Any:
    return boto3.client("dynamodb", endpoint_url=out["Endpoint"], region_name=out["Region"],
                        aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip


def seeded_already(m: Any, out: dict[str, str], start: int, stop: int) -> bool:
    """Whether an earlier run left products ``start..stop-1`` (its first and last are there, as the bench wrote
    them): seeding them again would only give the name indexer thousands of stream records to read again."""
    ddb = _ddb(out)
    for i in (start, stop - 1):
        item = ddb.get_item(TableName=out["ProductsTableName"], Key={"productId": {"S": f"BENCHSEARCH{i:06d}"}})
        if item.get("Item", {}).get("name", {}).get("S") != bench_indexed(m, i).name:
            return False
    return True


def seed_search(m: Any, out: dict[str, str], start: int, stop: int) -> float:
    """Write products ``start..stop-1`` and their index items; returns the seconds it took."""
    ddb = _ddb(out)
    requests_by_table: dict[str, list[dict[str, Any]]] = {out["ProductsTableName"]: [], out["SearchIndexTableName"]: []}
    for i in range(start, stop):
        p = bench_indexed(m, i)
        item = m.store.ProductItem(productId=p.product_id, name=p.name, description="", price=p.price, stock=100,
                                   category=p.category, catalog=m.store.CATALOG, sortKey=p.newest_key(), images={},
                                   createdAt=p.created_at, updatedAt=p.created_at)  # fmt: skip
        requests_by_table[out["ProductsTableName"]].append({"PutRequest": {"Item": item.serialize()}})
        postings, state = m.search_store.index_items(p)
        requests_by_table[out["SearchIndexTableName"]] += [
            {"PutRequest": {"Item": x.serialize()}} for x in [*postings, state]
        ]
    batches = [(t, list(chunk)) for t, reqs in requests_by_table.items() for chunk in batched(reqs, 25, strict=False)]

    def write(batch: tuple[str, list[dict[str, Any]]]) -> None:
        pending: dict[str, Any] = {batch[0]: batch[1]}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write, batches))
    return time.perf_counter() - t0


SEARCH_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("one word (10 % of them)", {"q": "mug"}),
    ("two prefixes", {"q": "cer mu"}),
    ("two words + category, price_asc", {"q": "blue ceramic", "category": SEARCH_CATEGORY, "sort": "price_asc"}),
    ("a rare word", {"q": "b00042"}),
    ("no q, category by price", {"category": SEARCH_CATEGORY, "sort": "price_desc"}),
]


def wait_for_indexer(api: Client, out: dict[str, str], deadline_s: float) -> float | None:
    """Seconds until the name indexer has read the stream up to now, or None if not within ``deadline_s``: the
    seeded products' stream records (the indexer reads each and, finding them filed, writes nothing) would
    otherwise load the stack while queries are timed. A sentinel product, written after them, is found by its
    own word once the indexer reached it (one shard: records are read in order)."""
    word = f"sentinel{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    item = {"productId": {"S": "BENCHSENTINEL"}, "name": {"S": f"bench {word}"}, "description": {"S": ""},
            "price": {"N": "1000"}, "stock": {"N": "0"}, "category": {"S": "bench-sentinel"},
            "catalog": {"S": "catalog"}, "sortKey": {"S": f"{now}#BENCHSENTINEL"}, "images": {"M": {}},
            "createdAt": {"S": now}, "updatedAt": {"S": now}}  # fmt: skip
    _ddb(out).put_item(TableName=out["ProductsTableName"], Item=item)
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline_s:
        try:
            resp = api.call("GET", "/products", params={"q": word})
            if resp.status_code == 200 and resp.json().get("items"):
                return round(time.monotonic() - t0, 1)
        except requests.RequestException:
            pass
        time.sleep(2)
    return None


def search_call(api: Client, params: dict[str, Any]) -> tuple[float, int]:
    """(seconds, status) of one query; status 0 when no response came (a slow machine must not end the run)."""
    t0 = time.perf_counter()
    try:
        status = api.call("GET", "/products", params=params).status_code
    except requests.RequestException:
        status = 0
    return time.perf_counter() - t0, status


def search_bench(api: Client, out: dict[str, str], sizes: list[int], rounds: int) -> dict[str, Any]:
    m = _search_modules()
    for var, value in (("AWS_ENDPOINT_URL", out["Endpoint"]), ("AWS_ACCESS_KEY_ID", "test"),
                       ("AWS_SECRET_ACCESS_KEY", "test"), ("AWS_DEFAULT_REGION", out["Region"])):  # fmt: skip
        os.environ[var] = value
    index = m.search_store.DynamoSearchIndex(out["SearchIndexTableName"])
    sample = [len(m.search_store.index_items(bench_indexed(m, i))[0]) + 1 for i in range(1_000)]
    result: dict[str, Any] = {"itemsPerProduct": round(statistics.mean(sample), 1), "sizes": []}
    seeded = 0
    for size in sizes:
        if seeded_already(m, out, size, size + 1):  # a run before this one left more: not this size's figures
            print(f"bench: search, {size:,} products: skipped, the stack holds more bench products", flush=True)
            result["sizes"].append({"products": size, "skipped": "the stack holds more bench products already "
                                    "(make down && make up: a fresh stack measures every size)"})  # fmt: skip
            continue
        reused = seeded_already(m, out, seeded, size)
        print(f"bench: search, {size:,} products: {'seeded earlier' if reused else 'seeding'} ...", flush=True)
        seconds = 0.0 if reused else seed_search(m, out, seeded, size)
        seeded = size
        print(f"bench: search, {size:,} products: waiting for the name indexer to reach the end of the stream ...",
              flush=True)  # fmt: skip
        settled = wait_for_indexer(api, out, 900)
        rows = []
        for label, params in SEARCH_QUERIES:
            print(f"bench: search, {size:,} products: {label} ...", flush=True)
            query = m.search.plan(
                params.get("q"), params.get("category"), m.search.SearchSort(params.get("sort", "newest"))
            )
            page = index.search(query, 20, None)
            for _ in range(3):
                search_call(api, params)
            calls = [search_call(api, params) for _ in range(rounds)]
            times = [seconds for seconds, _ in calls]
            errors = sum(status != 200 for _, status in calls)
            rows.append({"query": label, "params": params, "postingsRead": page.reads,
                         "productsRead": len(page.product_ids), "p50Ms": round(pct(times, 50) * 1000, 1),
                         "p95Ms": round(pct(times, 95) * 1000, 1), "errors": errors})  # fmt: skip
        result["sizes"].append({"products": size, "seedSeconds": round(seconds, 1), "seededEarlier": reused,
                                "indexerSettledSeconds": settled, "queries": rows})  # fmt: skip
    return result


# ---------------------------------------------------------------- report


def table(report: dict[str, Any]) -> str:
    lines = [f"Buynest bench - {report['when']} - {report['machine']}", ""]
    cs = report.get("coldStart")
    if cs:
        lines.append(f"cold start floor (import boto3 + dynamodb client): {cs['floorMs']} ms")
        lines += [f"  {r['function']:<36} {r['initMs']:>7.1f} ms  x{r['ratio']:.2f}" for r in cs["functions"]]
        lines.append(f"  worst ratio x{cs['worstRatio']:.2f} (target <= 1.30)")
        lines.append(f"  vs a cookbook Powertools peer ({cs['peerMs']} ms, same run): "
                     f"worst x{cs['worstPeerRatio']:.2f} (target <= 1.0), "
                     f"median x{cs['medianPeerRatio']:.2f} (target <= 0.9)")  # fmt: skip
    gw = report.get("gateway")
    if gw:
        lines.append(f"GET /products p50 {gw['productsP50Ms']} ms vs no-op GET /health p50 {gw['healthP50Ms']} ms: "
                     f"x{gw['ratio']:.2f} (target <= 1.30)")  # fmt: skip
    for key in ("saga1", "saga20"):
        s = report.get(key)
        if s:
            lines.append(f"saga, {s['shoppers']} shopper(s): {s['orders']} orders, "
                         f"p50 {s['p50S']} s, p99 {s['p99S']} s, "
                         f"{s['confirmedPerMinute']} confirmed/min, not confirmed {s['notConfirmed']}, "
                         f"oversold: {s['oversold']} (load {s['load']:.1f})")  # fmt: skip
            if "localstackCpuPerOrderS" in s:
                lines.append(f"  CPU per confirmed order: LocalStack {s['localstackCpuPerOrderS']} s "
                             f"({s['localstackCoreShare']:.0%} of a core), "
                             f"functions {s['functionsCpuPerOrderS']} s")  # fmt: skip
    calls = report.get("calls")
    if calls:
        by_service = ", ".join(f"{k} {v}" for k, v in calls["perOrderByService"].items())
        lines.append(f"AWS calls per confirmed order (served by LocalStack, pollers excluded): {by_service}")
        lines.append(f"  cost at AWS list prices: about ${calls['usdPerMillionOrders']:,.0f} per million orders")
    idle = report.get("idle")
    if idle:
        lines.append(f"idle CPU after the saga: LocalStack {idle['localstackPercent']}% of a core, "
                     f"functions {idle['functionsPercent']}% "
                     f"({idle['seconds']} s; load {idle['load']:.1f}; target <= 5%)")  # fmt: skip
    cr = report.get("couponRush")
    if cr:
        lines.append(f"coupon rush: {cr['requests']} requests for {cr['quantity']}: issued {cr['issued']} "
                     f"(exact: {cr['exact']}), {cr['requestsPerSecond']} req/s, p50 {cr['p50Ms']} ms, "
                     f"p99 {cr['p99Ms']} ms, statuses {cr['statuses']}")  # fmt: skip
    sr = report.get("search")
    if sr:
        lines.append(f"search: {sr['itemsPerProduct']} index items per product (postings + state); products seeded "
                     "straight into the tables (BatchWriteItem; index items by the indexer's code)")  # fmt: skip
        for size in sr["sizes"]:
            if size.get("skipped"):
                lines.append(f"  {size['products']:,} bench products: skipped, {size['skipped']}")
                continue
            seeded = "seeded by an earlier run" if size.get("seededEarlier") else f"seeded in {size['seedSeconds']} s"
            settled = size.get("indexerSettledSeconds")
            backlog = (f"indexer caught up in {settled} s" if settled is not None
                       else "indexer still reading the stream: latencies include its load")  # fmt: skip
            lines.append(f"  {size['products']:,} bench products ({seeded}; {backlog}):")
            lines += [f"    {r['query']:<34} postings read {r['postingsRead']:>4}, "
                      f"products read {r['productsRead']:>3}, p50 {r['p50Ms']} ms, p95 {r['p95Ms']} ms"
                      + (f", {r['errors']} not 200 (5xx or no answer)" if r.get("errors") else "")
                      for r in size["queries"]]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=["cold", "gateway", "saga", "rush", "search"], default=None)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run, not figures)")
    parser.add_argument("--search-rounds", type=int, default=None, help="timed calls per search query (default 40)")
    args = parser.parse_args()
    only = set(args.only or ["cold", "gateway", "saga", "rush", "search"])
    quick = args.quick
    out = outputs()
    api = Client(out["ApiUrl"])
    report: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"{os.cpu_count()} cores, {os.uname().machine}, Python {sys.version.split()[0]}, "
        f"load {os.getloadavg()[0]:.1f} at start",
    }
    if "cold" in only:
        print("bench: cold starts ...", flush=True)
        report["coldStart"] = cold_starts(3 if quick else 5)
    if "gateway" in only:
        print("bench: gateway ratio ...", flush=True)
        report["gateway"] = gateway_ratio(api, 30 if quick else 200)
    admin = make_admin(out, api) if only & {"saga", "rush"} else ""
    if "saga" in only:
        print("bench: saga, 1 shopper ...", flush=True)
        listener = SettledListener(out)
        meter = CpuMeter()
        try:
            report["saga1"] = saga(api, listener, admin, 1, 5 if quick else 30, 2 if quick else 5, meter)
            print("bench: saga, 20 shoppers ...", flush=True)
            report["saga20"] = saga(api, listener, admin, 20, 2 if quick else 6, 1 if quick else 2, meter)
            print("bench: AWS calls per order ...", flush=True)
            report["calls"] = calls_per_order(api, out, listener, admin, 5 if quick else 20)
        finally:
            listener.close()
        if meter.available:
            print("bench: idle CPU ...", flush=True)
            report["idle"] = idle_cpu(meter, 5 if quick else 10, 10 if quick else 30)
    if "rush" in only:
        print("bench: coupon rush ...", flush=True)
        report["couponRush"] = coupon_rush(api, admin, 60 if quick else 300, 20 if quick else 100)
    if "search" in only:
        print("bench: search ...", flush=True)
        report["search"] = search_bench(
            api, out, [1_000] if quick else [1_000, 10_000], args.search_rounds or (10 if quick else 40)
        )
    text = table(report)
    print("\n" + text)
    target = LOCAL / "bench"
    target.mkdir(parents=True, exist_ok=True)
    (target / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    (target / "latest.txt").write_text(text + "\n")
    print(f"\nwritten: {target / 'latest.json'}")


if __name__ == "__main__":
    main()
