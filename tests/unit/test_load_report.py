"""load/report.py: `make load`'s table from locust's final JSON and the profile's summary (no locust needed)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from load.report import main, percentile, read_stats


def entry(method: str, name: str, times: dict[int, int], failures: int = 0, span: float = 10.0) -> dict[str, Any]:
    """One request group as locust's --json-file writes it (histogram keys are strings in JSON)."""
    return {
        "name": name,
        "method": method,
        "num_requests": sum(times.values()),
        "num_failures": failures,
        "start_time": 1000.0,
        "last_request_timestamp": 1000.0 + span,
        "response_times": {str(k): v for k, v in times.items()},
    }


def write_run(folder: Path, statuses: dict[str, dict[str, int]], **summary: Any) -> None:
    stats = [
        entry("GET", "GET /products/{id}", {40: 97, 300: 2, 2000: 1}),
        entry("POST", "POST /orders", {1200: 3, 3100: 1}, failures=1, span=20.0),
    ]
    (folder / "locust.json").write_text(json.dumps(stats))
    (folder / "summary.json").write_text(json.dumps({"statuses": statuses, **summary}))


def test_percentiles_are_locusts_own() -> None:
    # The values locust.stats.calculate_response_time_percentile gives for the same histograms.
    assert [percentile(Counter(range(1, 11)), q) for q in (50, 95, 99)] == [6, 10, 10]
    assert [percentile(Counter({100: 1, 200: 1}), q) for q in (50, 95, 99)] == [200, 200, 200]
    assert [percentile(Counter({40: 97, 300: 2, 2000: 1}), q) for q in (50, 95, 99)] == [40, 40, 2000]
    assert percentile(Counter(), 50) is None


def test_rows_are_the_groups_then_their_total() -> None:
    rows = read_stats([entry("POST", "POST /orders", {1200: 3}), entry("GET", "/health", {5: 2}, span=1.0)])
    assert [r.label for r in rows] == ["GET /health", "POST /orders", "all requests"]
    total = rows[-1]
    assert (total.requests, total.pct(50), total.pct(99)) == (5, 1200, 1200)
    assert total.rps == 0.5  # 5 requests between the first group's start and the last request (10 s)


def test_table_and_exit_code_without_server_errors(tmp_path: Path, capsys: Any) -> None:
    write_run(
        tmp_path,
        {"GET /products/{id}": {"200": 100}, "POST /orders": {"202": 3, "400": 1}},
        failures={"POST /orders": {"HTTP 400 VALIDATION_ERROR": 1}},
        orders={"placed": 3, "confirmed": 2, "notFinal": 0, "failureReasons": {}},
        confirmedSeconds=[2.5, 3.5],
        orderWaitSeconds=45,
    )
    assert main([str(tmp_path), "--run", "2 users"]) == 0
    out = capsys.readouterr().out
    assert "2 users" in out
    assert [line.split()[-4:] for line in out.splitlines() if line.startswith("GET /products/{id}")] == [
        ["40", "40", "2000", "200:100"]
    ]
    assert "all requests" in out and "104 " in out and "5.2 req/s" in out
    assert "3 placed: 2 confirmed, 0 failed, 0 not final within 45 s, 1 still in flight" in out
    assert "p50 3.5 s" in out
    assert "1 x POST /orders: HTTP 400 VALIDATION_ERROR" in out
    assert "5xx or no response: 0" in out
    assert (tmp_path / "table.txt").read_text().strip() == out.strip()


def test_a_5xx_or_no_response_fails_the_run(tmp_path: Path, capsys: Any) -> None:
    write_run(tmp_path, {"GET /products/{id}": {"200": 99, "502": 1}, "POST /orders": {"0": 1, "202": 3}})
    assert main([str(tmp_path)]) == 1
    assert "5xx or no response: 2" in capsys.readouterr().out


def test_no_output_of_locust_is_an_error(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 2
