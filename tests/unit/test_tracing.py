"""API responses never land in X-Ray traces (issue #10, "Secrets in traces"): login tokens, emails and pre-signed
upload fields are in the responses, and a trace's metadata is readable by whoever may read traces."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response

from buynest.core import observability
from buynest.core.http import json_response, make_app
from tests.conftest import ROOT, FakeContext, api_event, load_handler
from tests.template import resources

SECRET = "eyJ-a-login-token-kim@example.com"


def api_functions() -> list[str]:
    """``<service>/<module>`` of every function the template puts behind the API."""
    found = []
    for res in resources("AWS::Serverless::Function").values():
        props = res["Properties"]
        if any(e["Type"] == "Api" for e in props.get("Events", {}).values()):
            service = Path(props["CodeUri"]).name
            found.append(f"{service}/{props['Handler'].split('.')[0]}")
    return sorted(found)


@pytest.mark.parametrize("relpath", api_functions())
def test_every_api_function_uses_the_shared_http_handler(relpath: str) -> None:
    """Guards: an API function that wears its own ``capture_lambda_handler`` (capturing its response by default)
    instead of ``http_handler``, which never captures one. (A function that is not traced at all, like the bare
    health check, passes: it records nothing.)"""
    source = (ROOT / "functions" / f"{relpath}.py").read_text()
    assert not re.search(r"capture_(lambda_handler|method)|Tracer\(", source), f"{relpath} traces on its own"
    if "buynest" in source:
        module = load_handler(relpath)
        assert getattr(module.handler, "__buynest_http_handler__", False), f"{relpath}.handler is not http_handler"


def test_the_template_has_api_functions() -> None:
    assert {"users/login", "users/signup", "images/request_upload"} <= set(api_functions())


class RecordingSubsegment:
    def __init__(self, store: list[tuple[str, Any]]) -> None:
        self._store = store

    def put_annotation(self, key: str, value: Any) -> None:
        self._store.append((key, value))

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self._store.append((key, value))

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        self._store.append(("exception", repr(exception)))


class RecordingProvider:
    """A tracing provider that keeps whatever would be sent to X-Ray."""

    def __init__(self) -> None:
        self.recorded: list[tuple[str, Any]] = []

    @contextmanager
    def in_subsegment(self, name: str, **_: Any) -> Iterator[RecordingSubsegment]:
        yield RecordingSubsegment(self.recorded)

    def put_annotation(self, key: str, value: Any) -> None:
        self.recorded.append((key, value))

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.recorded.append((key, value))

    def patch(self, modules: Any) -> None: ...
    def patch_all(self) -> None: ...


@pytest.fixture
def live_tracer(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingProvider]:
    """A real, enabled Powertools Tracer (as in Lambda with tracing on) whose provider records instead of sending."""
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    provider = RecordingProvider()
    tracer = Tracer(service="tests", provider=provider, auto_patch=False)  # type: ignore[arg-type]
    monkeypatch.setattr(observability, "tracer", tracer)
    yield provider
    Tracer._reset_config()


def test_http_handler_records_no_response_in_the_trace(live_tracer: RecordingProvider) -> None:
    """Guards: ``capture_lambda_handler`` with its default ``capture_response=True`` put the whole response (here a
    token) into the trace's metadata."""
    app = make_app()

    @app.post("/auth/login")
    def login() -> Response[str]:
        return json_response(200, {"token": SECRET})

    handler = observability.http_handler(app)
    resp = handler(api_event("POST", "/auth/login", body={}), FakeContext())
    assert SECRET in resp["body"]
    assert live_tracer.recorded, "the tracer was not live: this test would prove nothing"
    assert SECRET not in repr(live_tracer.recorded)
