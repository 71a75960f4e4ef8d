"""End-to-end fixtures: the deployed local stack, used over HTTP exactly as a shopper or an admin would."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from localstack_client.session import Session

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", Path(__file__).resolve().parents[2] / ".local"))


def _stack_answers(outputs: dict[str, str]) -> bool:
    try:
        return requests.get(f"{outputs['Endpoint']}/_localstack/health", timeout=2).ok
    except (requests.RequestException, KeyError):
        return False


@pytest.fixture(scope="session")
def outputs() -> dict[str, str]:
    """The deployed stack's outputs. With no stack running the end-to-end tests are skipped, saying so, unless
    BUYNEST_E2E_REQUIRED=1 (set by `make test-e2e` and so `make test` and CI, which bring the stack up first):
    there a missing stack is a failure, never a skip."""
    path = LOCAL / "outputs.json"
    found = json.loads(path.read_text()) if path.exists() else None
    if found is not None and _stack_answers(found):
        return found
    why = (
        "no local stack is deployed (no .local/outputs.json)"
        if found is None
        else f"the local stack at {found.get('Endpoint')} does not answer"
    )
    if os.environ.get("BUYNEST_E2E_REQUIRED") == "1":
        pytest.fail(f"{why}: run `make up` first")
    pytest.skip(f"end-to-end tests skipped: {why}; `make up` starts it (`make test-e2e` runs them)")


class Api:
    """A tiny HTTP client for the API: ``api.post("/auth/login", json=..., token=...)``."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()

    def request(self, method: str, path: str, token: str | None = None, **kw: Any) -> requests.Response:
        headers = dict(kw.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        resp = self.session.request(method, self.base + path, headers=headers, timeout=30, **kw)
        assert resp.status_code < 500, f"{method} {path} gave {resp.status_code}: {resp.text[:500]}"
        return resp

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)


@pytest.fixture(scope="session")
def api(outputs: dict[str, str]) -> Api:
    return Api(outputs["ApiUrl"])


def unique_email(prefix: str = "shopper") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture(scope="session")
def new_customer(api: Api) -> Callable[..., dict[str, Any]]:
    """Factory: signs up and logs in a fresh customer; returns its profile plus ``token`` and ``password``."""

    def make(name: str = "Shopper") -> dict[str, Any]:
        email, password = unique_email(), "correct-horse-1"
        resp = api.post("/auth/signup", json={"email": email, "password": password, "name": name})
        assert resp.status_code == 201, resp.text
        token = api.post("/auth/login", json={"email": email, "password": password}).json()["token"]
        return {**resp.json(), "token": token, "password": password}

    return make


@pytest.fixture(scope="session")
def admin(api: Api, outputs: dict[str, str]) -> dict[str, Any]:
    """An admin made the way `make admin` makes one (invoking the stack's MakeAdminFunction), then logged in."""
    email, password = unique_email("admin"), "admin-password-1"
    client = aws_client(outputs, "lambda")
    resp = client.invoke(
        FunctionName=outputs["MakeAdminFunctionName"],
        Payload=json.dumps({"email": email, "password": password, "name": "Admin"}).encode(),
    )
    body = json.loads(resp["Payload"].read())
    assert not resp.get("FunctionError"), body
    token = api.post("/auth/login", json={"email": email, "password": password}).json()["token"]
    return {**body, "token": token}


def aws_client(outputs: dict[str, str], service: str) -> Any:
    """A boto3 client of the local stack under test (localstack-client points every service at its endpoint)."""
    session = Session(
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=outputs["Region"],
        localstack_host=urlsplit(outputs["Endpoint"]).netloc,
    )
    return session.client(service)


def wait_for(probe: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1, what: str = "condition") -> Any:
    """Poll ``probe`` until it returns something truthy, or fail after ``timeout`` seconds (never a fixed sleep)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class BusTap:
    """Listens on the bus like a consumer does (rule -> queue) and lets a test wait for events by predicate."""

    def __init__(self, outputs: dict[str, str], sources: list[str]) -> None:
        self.sqs, self.events = aws_client(outputs, "sqs"), aws_client(outputs, "events")
        self.bus = outputs["EventBusName"]
        self.name = f"test-tap-{uuid.uuid4().hex[:10]}"
        self.queue_url = self.sqs.create_queue(QueueName=self.name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.events.put_rule(Name=self.name, EventBusName=self.bus, EventPattern=json.dumps({"source": sources}))
        self.events.put_targets(Rule=self.name, EventBusName=self.bus, Targets=[{"Id": "tap", "Arn": arn}])
        self.seen: list[dict[str, Any]] = []

    def put(self, source: str, detail_type: str, data: dict[str, Any], event_id: str | None = None) -> None:
        import datetime

        detail = {
            "metadata": {
                "eventId": event_id or uuid.uuid4().hex,
                "eventVersion": 1,
                "correlationId": data.get("orderId", uuid.uuid4().hex),
                "occurredAt": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "data": data,
        }
        resp = self.events.put_events(
            Entries=[
                {"EventBusName": self.bus, "Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}
            ]
        )
        assert resp["FailedEntryCount"] == 0, resp

    def _drain(self) -> None:
        resp = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in resp.get("Messages", []):
            self.seen.append(json.loads(message["Body"]))
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def matching(self, detail_type: str, **data: Any) -> list[dict[str, Any]]:
        return [
            e
            for e in self.seen
            if e["detail-type"] == detail_type and all(e["detail"]["data"].get(k) == v for k, v in data.items())
        ]

    def wait(self, detail_type: str, timeout: float = 20.0, **data: Any) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            found = self.matching(detail_type, **data)
            if not found:
                self._drain()
                found = self.matching(detail_type, **data)
            return found[0] if found else None

        return wait_for(probe, timeout, interval=0, what=f"{detail_type} {data}")

    def close(self) -> None:
        self.events.remove_targets(Rule=self.name, EventBusName=self.bus, Ids=["tap"])
        self.events.delete_rule(Name=self.name, EventBusName=self.bus)
        self.sqs.delete_queue(QueueUrl=self.queue_url)


@pytest.fixture
def bus_tap(outputs: dict[str, str]) -> Any:
    """Factory: ``tap = bus_tap(["buynest.coupons"])`` listens to those sources for the rest of the test."""
    taps: list[BusTap] = []

    def make(sources: list[str]) -> BusTap:
        taps.append(BusTap(outputs, sources))
        return taps[-1]

    yield make
    for tap in taps:
        tap.close()
