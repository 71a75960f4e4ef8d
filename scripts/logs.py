"""`make logs ORDER=<orderId>`: one order's story across every function, in time order (from the functions' log
files under .local/logs/lambda, which hold the same lines as CloudWatch Logs). Without ORDER: follow all logs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", Path(__file__).resolve().parent.parent / ".local"))


def function_name(path: Path) -> str:
    # buynest-ConfirmOrderFunction-1a2b3c4d.log -> ConfirmOrderFunction
    parts = path.stem.split("-")
    return parts[1] if len(parts) >= 3 else path.stem


def lines_for(order_id: str) -> list[tuple[str, str, dict[str, object]]]:
    found = []
    for path in sorted((LOCAL / "logs" / "lambda").glob("*.log")):
        for raw in path.read_text(errors="replace").splitlines():
            if order_id not in raw or not raw.startswith("{"):
                continue
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            found.append((str(entry.get("timestamp", "")), function_name(path), entry))
    return sorted(found, key=lambda row: row[0])


def main() -> None:
    order_id = os.environ.get("ORDER", "").strip()
    if not order_id:
        sys.exit("usage: make logs ORDER=<orderId>   (or plain `make logs` to follow every function)")
    rows = lines_for(order_id)
    if not rows:
        sys.exit(f"no log line mentions {order_id} (is it an order id of this local stack?)")
    skip = {
        "timestamp", "level", "message", "service", "location", "cold_start", "function_arn",
        "function_memory_size", "function_name", "function_request_id", "correlation_id", "xray_trace_id",
    }  # fmt: skip
    for timestamp, function, entry in rows:
        extra = {k: v for k, v in entry.items() if k not in skip}
        print(
            f"{timestamp}  {function:<32} {entry.get('level', ''):<7} {entry.get('message', '')}  {json.dumps(extra)}"
        )


if __name__ == "__main__":
    main()
