"""Counts the AWS API calls LocalStack serves, by service and operation, split into calls made by clients and
functions ("external") and calls LocalStack makes itself for event source mappings, Step Functions tasks and rule
targets ("internal"). ``GET /_buynest/calls`` returns the counts, ``DELETE /_buynest/calls`` resets them.

The benchmark uses it to report the AWS calls one confirmed order costs; nothing in the stack depends on it."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

_lock = threading.Lock()
_counts: Counter[tuple[str, str, str]] = Counter()


def count_call(chain: Any, context: Any, response: Any) -> None:
    """Response handler: one count per served AWS operation."""
    operation = getattr(context, "operation", None)
    if response is None or operation is None:
        return
    kind = "internal" if getattr(context, "is_internal_call", False) else "external"
    key = (operation.service_model.service_name, operation.name, kind)
    with _lock:
        _counts[key] += 1


class CallsResource:
    """``/_buynest/calls``: the counts since the last reset."""

    def on_get(self, request: Any) -> dict[str, Any]:
        with _lock:
            rows = [{"service": s, "operation": o, "kind": k, "count": n} for (s, o, k), n in sorted(_counts.items())]
        return {"calls": rows}

    def on_delete(self, request: Any) -> dict[str, Any]:
        with _lock:
            _counts.clear()
        return {"calls": []}


def install() -> None:
    """Adds the counter to LocalStack's response handlers and the resource to its internal API."""
    from localstack.aws import handlers
    from localstack.http import Resource
    from localstack.services.internal import get_internal_apis

    handlers.run_custom_response_handlers.append(count_call)
    get_internal_apis().add(Resource("/_buynest/calls", CallsResource()))
