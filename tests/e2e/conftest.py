"""End-to-end fixtures: the deployed local stack, used over HTTP exactly as a shopper or an admin would."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", Path(__file__).resolve().parents[2] / ".local"))


@pytest.fixture(scope="session")
def outputs() -> dict[str, str]:
    path = LOCAL / "outputs.json"
    if not path.exists():
        pytest.fail("no .local/outputs.json: the local stack is not deployed (run `make up` first)")
    return json.loads(path.read_text())


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
    client = boto3.client(
        "lambda",
        endpoint_url=outputs["Endpoint"],
        region_name=outputs["Region"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    resp = client.invoke(
        FunctionName=outputs["MakeAdminFunctionName"],
        Payload=json.dumps({"email": email, "password": password, "name": "Admin"}).encode(),
    )
    body = json.loads(resp["Payload"].read())
    assert not resp.get("FunctionError"), body
    token = api.post("/auth/login", json={"email": email, "password": password}).json()["token"]
    return {**body, "token": token}
