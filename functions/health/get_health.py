"""GET /health: liveness of the API. Deliberately does nothing else, so the benchmark can compare any endpoint's
latency with a no-op function behind the same gateway."""

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"status":"ok"}'}
