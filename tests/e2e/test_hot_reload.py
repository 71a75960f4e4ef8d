"""Hot reload (make dev): an edit of a handler in the working tree is live on the next request, without a deploy."""

from __future__ import annotations

import io
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api, aws_client, wait_for

# swaps the health function's code: run alone, after the parallel rest of the suite (Makefile, test-e2e)
pytestmark = pytest.mark.serial

REPO = Path(__file__).resolve().parents[2]
HANDLER_DIR = REPO / "functions" / "health"
HANDLER = HANDLER_DIR / "get_health.py"


def _function_name(lambda_client: Any, logical_id: str) -> str:
    for page in lambda_client.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if f"-{logical_id}-" in function["FunctionName"]:
                return str(function["FunctionName"])
    raise AssertionError(f"no deployed function for {logical_id}")


def _wait_updated(lambda_client: Any, name: str) -> None:
    wait_for(
        lambda: (
            lambda_client.get_function(FunctionName=name)["Configuration"].get("LastUpdateStatus")
            in (None, "Successful")
        ),
        what=f"{name} to finish its code update",
    )


@pytest.fixture
def hot_health_function(outputs: dict[str, str]) -> Iterator[None]:
    """HealthFunction running from the working tree. On a `make dev` stack it already does; on a built stack
    (`make up`, CI) it is switched to LocalStack's hot-reload code for the test and its built code put back
    after, so the test runs on either."""
    lambda_client = aws_client(outputs, "lambda")
    name = _function_name(lambda_client, "HealthFunction")
    function = lambda_client.get_function(FunctionName=name)
    built_zip: bytes | None = None
    if not function["Code"].get("Location", "").startswith("file://"):  # LocalStack's URL of hot-reload code
        with urllib.request.urlopen(function["Code"]["Location"], timeout=30) as response:
            built_zip = response.read()
        zipfile.ZipFile(io.BytesIO(built_zip)).testzip()
        lambda_client.update_function_code(FunctionName=name, S3Bucket="hot-reload", S3Key=str(HANDLER_DIR))
        _wait_updated(lambda_client, name)
    try:
        yield
    finally:
        if built_zip is not None:
            lambda_client.update_function_code(FunctionName=name, ZipFile=built_zip)
            _wait_updated(lambda_client, name)


def test_an_edit_of_a_handler_is_live_on_the_next_request(api: Api, hot_health_function: None) -> None:
    """Guards hot reload: the host executor restarts an environment whose working-tree code changed, so the very
    next request after an edit runs the edited handler (no deploy, no wait), and the restored file again."""
    original = HANDLER.read_text()
    assert api.get("/health").json() == {"status": "ok"}
    try:
        HANDLER.write_text(original.replace('{"status":"ok"}', '{"status":"edited"}'))
        assert api.get("/health").json() == {"status": "edited"}
    finally:
        HANDLER.write_text(original)
    assert api.get("/health").json() == {"status": "ok"}
