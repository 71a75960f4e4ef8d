"""Shared test set-up: the buynest layer on the path, handler loading, API Gateway event and context factories."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "layers" / "buynest" / "python"))

os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Buynest")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
# bus consumers handle a batch's records one after another here, so tests can assert the order of what they publish
# (tests/unit/test_consumer.py covers the concurrent handling the functions use)
os.environ.setdefault("BUYNEST_CONSUMER_WORKERS", "1")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "tests")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


LAYERS = ("unit", "integration", "localstack", "e2e")  # the markers of pyproject.toml, one per directory


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Marks every test with its layer (its directory under tests/), so `pytest -m "not e2e"` selects by layer."""
    import pytest

    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        if parts and parts[0] in LAYERS:
            item.add_marker(getattr(pytest.mark, parts[0]))


def load_handler(relpath: str) -> ModuleType:
    """Import ``functions/<relpath>.py`` under a unique module name (handlers of different services may share
    file names)."""
    path = ROOT / "functions" / f"{relpath}.py"
    name = "fn_" + relpath.replace("/", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class FakeContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def api_event(
    method: str,
    path: str,
    resource: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path_params: dict[str, str] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event as the gateway sends it. ``body`` may be a dict (sent as JSON) or a raw
    string (sent as is)."""
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": raw,
        "isBase64Encoded": False,
    }


def call(module: ModuleType, event: dict[str, Any]) -> tuple[int, Any]:
    """Invoke a handler module with an event; returns (status, parsed JSON body or None)."""
    resp = module.handler(event, FakeContext())
    body = resp.get("body")
    return resp["statusCode"], (json.loads(body) if body else None)
