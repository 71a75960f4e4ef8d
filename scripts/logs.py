"""`make logs`: follow every function's log readably; `make logs ORDER=<orderId>`: one order's story across every
function, in time order. Both read the functions' log files under .local/logs/lambda (the same lines as
CloudWatch Logs).

Following picks up the files of functions that first run after it started (a function's file appears with its
first invocation), prints each JSON log line as `time function level message {other fields}` and each metric
line as `time function metric name=value`, and leaves the runtime's START/END lines out (REPORT lines stay: they
carry the duration and cold-start init time)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", Path(__file__).resolve().parent.parent / ".local"))
LOGS = LOCAL / "logs" / "lambda"
CONTEXT_FIELDS = {
    "timestamp", "level", "message", "service", "location", "cold_start", "function_arn",
    "function_memory_size", "function_name", "function_request_id", "correlation_id", "xray_trace_id",
}  # fmt: skip
TAIL_LINES = 20  # of each file that exists when following starts


def function_name(path: Path) -> str:
    # buynest-ConfirmOrderFunction-1a2b3c4d.log -> ConfirmOrderFunction
    parts = path.stem.split("-")
    return parts[1] if len(parts) >= 3 else path.stem


def readable(function: str, raw: str) -> str | None:
    """One log line as a person reads it; None for the lines that say nothing (START, END, separators)."""
    if raw.startswith(("START RequestId", "END RequestId", "--- ")) or not raw.strip():
        return None
    if not raw.startswith("{"):
        return f"{'':<12} {function:<32} {raw}"
    try:
        entry = json.loads(raw)
    except ValueError:
        return f"{'':<12} {function:<32} {raw}"
    if "_aws" in entry:
        names = [m["Name"] for d in entry["_aws"].get("CloudWatchMetrics", []) for m in d.get("Metrics", [])]
        values = " ".join(f"{name}={entry.get(name)}" for name in names)
        return f"{'':<12} {function:<32} metric  {values}"
    stamp = str(entry.get("timestamp", ""))
    clock = stamp[11:23].replace(",", ".") if len(stamp) >= 23 else stamp
    extra = {k: v for k, v in entry.items() if k not in CONTEXT_FIELDS}
    return f"{clock:<12} {function:<32} {entry.get('level', ''):<7} {entry.get('message', '')}  {json.dumps(extra)}"


def lines_for(order_id: str) -> list[tuple[str, str, dict[str, object]]]:
    found = []
    for path in sorted(LOGS.glob("*.log")):
        for raw in path.read_text(errors="replace").splitlines():
            if order_id not in raw or not raw.startswith("{"):
                continue
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            found.append((str(entry.get("timestamp", "")), function_name(path), entry))
    return sorted(found, key=lambda row: row[0])


def story(order_id: str) -> None:
    rows = lines_for(order_id)
    if not rows:
        sys.exit(f"no log line mentions {order_id} (is it an order id of this local stack?)")
    for timestamp, function, entry in rows:
        extra = {k: v for k, v in entry.items() if k not in CONTEXT_FIELDS}
        print(
            f"{timestamp}  {function:<32} {entry.get('level', ''):<7} {entry.get('message', '')}  {json.dumps(extra)}"
        )


class Follower:
    """The readable lines each log file of ``directory`` got since the last :meth:`poll`; a file that appears after
    the follower started is read from its start, one that was there from its end (after ``TAIL_LINES`` of it)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.offsets: dict[Path, int] = {}

    def start(self) -> list[str]:
        shown = []
        for path in sorted(self.directory.glob("*.log")):
            data = path.read_bytes()
            self.offsets[path] = len(data)
            for raw in data.decode("utf-8", errors="replace").splitlines()[-TAIL_LINES:]:
                if (text := readable(function_name(path), raw)) is not None:
                    shown.append(text)
        return shown

    def poll(self) -> list[str]:
        shown = []
        for path in sorted(self.directory.glob("*.log")):
            offset = self.offsets.setdefault(path, 0)
            with path.open("rb") as log:
                log.seek(offset)
                data = log.read()
            complete = data[: data.rfind(b"\n") + 1]  # a line still being written is read when it is whole
            self.offsets[path] = offset + len(complete)
            for raw in complete.decode("utf-8", errors="replace").splitlines():
                if (text := readable(function_name(path), raw)) is not None:
                    shown.append(text)
        return shown


def follow(interval: float = 0.3) -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    follower = Follower(LOGS)
    print("\n".join(follower.start()))
    print(f"==> following {LOGS} (Ctrl-C to stop)", flush=True)
    while True:
        for text in follower.poll():
            print(text, flush=True)
        time.sleep(interval)


def main() -> None:
    order_id = os.environ.get("ORDER", "").strip()
    if order_id:
        story(order_id)
        return
    with contextlib.suppress(KeyboardInterrupt):
        follow()


if __name__ == "__main__":
    main()
