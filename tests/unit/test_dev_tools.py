"""The inner-loop scripts: `make logs` (scripts/logs.py), `make invoke` (scripts/invoke.py) and the hot-reload
template of `make dev` (scripts/stack.py)."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import logs

LINE = {
    "level": "INFO",
    "message": "order confirmed",
    "timestamp": "2026-12-04 03:19:25,706+0000",
    "service": "orders",
    "function_name": "buynest-ConfirmOrderFunction-1",
    "orderId": "o1",
}


def test_follow_picks_up_a_log_file_created_after_it_started(tmp_path: Path) -> None:
    """Guards `make logs`: `tail -F *.log` only ever followed the files that existed when it started, so a function
    first invoked later was never shown. The follower reads new files from their start, and old ones from their end."""
    old = tmp_path / "buynest-GetOrderFunction-1a2b.log"
    old.write_text("--- 2026\n" + json.dumps({**LINE, "message": "before"}) + "\n")
    follower = logs.Follower(tmp_path)
    assert any("before" in line for line in follower.start())
    assert follower.poll() == []

    new = tmp_path / "buynest-ConfirmOrderFunction-3c4d.log"
    new.write_text("START RequestId: r1 Version: $LATEST\n" + json.dumps(LINE) + "\nEND RequestId: r1\n")
    with old.open("a") as log:
        log.write(json.dumps({**LINE, "message": "after"}) + "\n" + '{"partial": ')

    shown = follower.poll()
    assert len(shown) == 2
    assert any("GetOrderFunction" in line and "after" in line for line in shown)
    confirmed = next(line for line in shown if "ConfirmOrderFunction" in line)
    assert "03:19:25.706" in confirmed and "INFO" in confirmed and "order confirmed" in confirmed
    assert '"orderId": "o1"' in confirmed and "function_name" not in confirmed


def test_metric_lines_read_as_name_and_value() -> None:
    metric = {"_aws": {"CloudWatchMetrics": [{"Metrics": [{"Name": "OrdersConfirmed"}]}]}, "OrdersConfirmed": [1.0]}
    assert logs.readable("F", json.dumps(metric)).endswith("metric  OrdersConfirmed=[1.0]")  # type: ignore[union-attr]
