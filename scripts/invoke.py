"""`make invoke FN=<function> EVENT=<event>`: runs one deployed function of the local stack with one event and prints
its log lines (readably, as `make logs` does) and its result.

FN is the function's logical id in template.yaml (`ConfirmOrderFunction`, or without the suffix: `ConfirmOrder`).
EVENT is one of:
  events/<DetailType>.sample.json   a bus event's sample: delivered as its bus rule's SQS queue delivers it
                                    (one SQS record whose body is the EventBridge event, source from the schema)
  'GET /products?limit=2'           an API Gateway request to the function (BODY='{"...": ...}', TOKEN=<jwt>)
  <file>.json                       any other JSON file: the event as it is
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.logs import readable  # noqa: E402
from scripts.make_admin import local_lambda_client  # noqa: E402
from tests.conftest import api_event  # noqa: E402
from tests.unit.coupon_fakes import bus_event, sqs_event  # noqa: E402

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", ROOT / ".local"))
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def build_event(spec: str, body: str | None = None, token: str | None = None) -> dict[str, Any]:
    """The event that EVENT (see the module's docstring) stands for."""
    method, _, target = spec.strip().partition(" ")
    if method.upper() in METHODS and target.startswith("/"):
        url = urlsplit(target.strip())
        query = dict(parse_qsl(url.query)) or None
        return api_event(method.upper(), url.path, body=json.loads(body) if body else None, query=query, token=token)
    path = Path(spec)
    if not path.is_file():
        raise SystemExit(f"EVENT={spec}: neither a JSON file nor 'METHOD /path'")
    document = json.loads(path.read_text())
    if path.name.endswith(".sample.json") and {"metadata", "data"} <= set(document):
        detail_type = path.name.removesuffix(".sample.json")
        schema = json.loads((path.parent / f"{detail_type}.schema.json").read_text())
        metadata = document["metadata"]
        event = bus_event(
            detail_type,
            document["data"],
            source=schema["x-source"],
            correlation_id=metadata["correlationId"],
            event_id=metadata["eventId"],
        )
        return sqs_event(event)
    if not isinstance(document, dict):
        raise SystemExit(f"EVENT={spec}: a Lambda event is a JSON object")
    return document


def function_name(lambda_client: Any, logical_id: str) -> str:
    """The deployed name (buynest-<LogicalId>-<suffix>) of FN, with or without its `Function` suffix."""
    wanted = {logical_id, f"{logical_id}Function"}
    names = [
        function["FunctionName"]
        for page in lambda_client.get_paginator("list_functions").paginate()
        for function in page["Functions"]
    ]
    for name in names:
        parts = name.split("-")
        if len(parts) >= 3 and parts[1] in wanted:
            return str(name)
    known = sorted({name.split("-")[1] for name in names if name.count("-") >= 2})
    raise SystemExit(f"FN={logical_id}: no such function in the local stack; one of: {', '.join(known)}")


def main() -> None:
    fn, spec = os.environ.get("FN", "").strip(), os.environ.get("EVENT", "").strip()
    if not fn or not spec:
        raise SystemExit(__doc__)
    outputs_path = LOCAL / "outputs.json"
    if not outputs_path.exists():
        raise SystemExit("no stack outputs yet: run `make up`")
    lambda_client = local_lambda_client(json.loads(outputs_path.read_text()))
    name = function_name(lambda_client, fn)
    event = build_event(spec, os.environ.get("BODY") or None, os.environ.get("TOKEN") or None)
    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    for raw in base64.b64decode(response.get("LogResult", "")).decode(errors="replace").splitlines():
        if (text := readable(fn, raw)) is not None:
            print(text)
    payload = json.loads(response["Payload"].read() or b"null")
    if isinstance(payload, dict) and isinstance(payload.get("body"), str):
        with contextlib.suppress(ValueError):
            payload["body"] = json.loads(payload["body"])
    print(json.dumps(payload, indent=2))
    if response.get("FunctionError"):
        raise SystemExit(f"{name} failed: {response['FunctionError']}")


if __name__ == "__main__":
    main()
