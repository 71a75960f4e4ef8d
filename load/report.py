"""`make load`'s closing table, from what the run wrote in its folder (default .local/load):

  locust.json   locust's final stats per request group (`--json-file`): counts, failures, timestamps and the
                response-time histogram, written when locust shuts down. (locust_stats.csv holds the same figures,
                but locust rewrites it once a second and not at shutdown, so its last second is missing.)
  summary.json  load/locustfile.py's own record: statuses and failures per request group, examples of 5xx,
                the orders' outcomes and their POST -> CONFIRMED times

Prints per request group p50/p95/p99, requests, failures and statuses, the whole run's req/s, the orders' outcomes
and the failures; writes the same text to table.txt. Exits 1 when any request got a 5xx or no response at all.
Standard library only (it runs in the dev venv and is unit-tested there).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATS = "locust.json"
SUMMARY = "summary.json"
TOTAL = "all requests"


@dataclass(frozen=True)
class Row:
    label: str
    requests: int
    failures: int
    histogram: Counter[int]  # response time (ms, as locust rounds it) -> count
    first: float  # epoch seconds of the group's first and last request
    last: float

    def pct(self, q: float) -> int | None:
        return percentile(self.histogram, q)

    @property
    def rps(self) -> float:
        return self.requests / max(self.last - self.first, 1e-9)


def label(method: str, name: str) -> str:
    """A request group's label: its name, which in this profile starts with the method already."""
    return name if name.startswith(f"{method} ") else f"{method} {name}"


def percentile[T: (int, float)](histogram: Counter[T], q: float) -> T | None:
    """The q-th percentile of a {value: count} histogram, defined as locust's own reports define it (so the table
    agrees with locust's CSV and HTML): the largest value such that at most int(n * q / 100) values lie below it."""
    n = sum(histogram.values())
    if n == 0:
        return None
    allowed_below = int(n * q / 100)
    counted = 0
    for value in sorted(histogram, reverse=True):
        counted += histogram[value]
        if n - counted <= allowed_below:
            return value
    return min(histogram)


def read_stats(entries: list[dict[str, Any]]) -> list[Row]:
    """locust.json's entries as rows sorted by label, then the total over all of them."""
    rows = [
        Row(
            label=label(e["method"], e["name"]),
            requests=int(e["num_requests"]),
            failures=int(e["num_failures"]),
            histogram=Counter({int(float(k)): int(v) for k, v in e.get("response_times", {}).items()}),
            first=float(e["start_time"]),
            last=float(e["last_request_timestamp"] or e["start_time"]),
        )
        for e in entries
    ]
    rows.sort(key=lambda r: r.label)
    total: Counter[int] = Counter()
    for r in rows:
        total.update(r.histogram)
    rows.append(
        Row(
            label=TOTAL,
            requests=sum(r.requests for r in rows),
            failures=sum(r.failures for r in rows),
            histogram=total,
            first=min((r.first for r in rows), default=0.0),
            last=max((r.last for r in rows), default=0.0),
        )
    )
    return rows


def server_errors(statuses: dict[str, dict[str, int]]) -> int:
    """Requests answered with a 5xx or not answered at all (status 0: refused, reset, timed out)."""
    return sum(
        n
        for by_status in statuses.values()
        for status, n in by_status.items()
        if status.isdigit() and (int(status) >= 500 or int(status) == 0)
    )


def _ms(value: int | None) -> str:
    return "-" if value is None else str(value)


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def orders_lines(summary: dict[str, Any]) -> list[str]:
    o = summary.get("orders", {})
    placed = int(o.get("placed", 0))
    final = sum(int(o.get(k, 0)) for k in ("confirmed", "failed", "cancelled"))
    not_final = int(o.get("notFinal", 0))
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(o.get("failureReasons", {}).items()))
    secs = Counter(float(s) for s in summary.get("confirmedSeconds", []))
    lines = [
        f"orders: {placed} placed: {o.get('confirmed', 0)} confirmed, {o.get('failed', 0)} failed"
        + (f" ({reasons})" if reasons else "")
        + (f", {o['cancelled']} cancelled" if o.get("cancelled") else "")
        + f", {not_final} not final within {float(summary.get('orderWaitSeconds', 0)):g} s"
        + f", {max(0, placed - final - not_final)} still in flight when the run stopped"
    ]
    if secs:
        lines.append(
            f"  POST /orders -> CONFIRMED (seen by polling every 1 s): p50 {_s(percentile(secs, 50))} s, "
            f"p95 {_s(percentile(secs, 95))} s, p99 {_s(percentile(secs, 99))} s"
        )
    if o.get("repeatMadeAnotherOrder"):
        lines.append(f"  !! a repeated Idempotency-Key made another order {o['repeatMadeAnotherOrder']} time(s)")
    return lines


def render(rows: list[Row], summary: dict[str, Any], title: str) -> str:
    statuses: dict[str, dict[str, int]] = summary.get("statuses", {})
    width = max([len(r.label) for r in rows] + [12])
    head = f"{'request':<{width}}  {'reqs':>6} {'fails':>5}  {'p50':>6} {'p95':>6} {'p99':>6} ms   statuses"
    lines = [title, "", head, "-" * len(head)]
    for r in rows:
        if r.label == TOTAL:
            lines.append("-" * len(head))
            extra = f"{r.rps:.1f} req/s"
        else:
            extra = " ".join(f"{s}:{n}" for s, n in sorted(statuses.get(r.label, {}).items()))
        lines.append(
            f"{r.label:<{width}}  {r.requests:>6} {r.failures:>5}  "
            f"{_ms(r.pct(50)):>6} {_ms(r.pct(95)):>6} {_ms(r.pct(99)):>6}      {extra}"
        )
    lines += ["", *orders_lines(summary)]
    setup = summary.get("setup", {})
    if setup:
        lines.append(
            f"set-up (admin + {setup.get('products')} products, {setup.get('created')} of them new): "
            f"{setup.get('seconds')} s, counted in the run time"
        )
    failures = [(n, request, error) for request, by in summary.get("failures", {}).items() for error, n in by.items()]
    lines.append("failures:" if failures else "failures: none")
    lines += [f"  {n:>5} x {request}: {error[:150]}" for n, request, error in sorted(failures, reverse=True)]
    lines.append(f"5xx or no response: {server_errors(statuses)}")
    lines += [
        f"  {e['at']} {e['request']} {e['url']} -> {e['status']}: {e['body'][:150]}"
        for e in summary.get("serverErrors", [])[:5]
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, nargs="?", default=Path(".local/load"))
    parser.add_argument("--run", default="", help='what ran, for the title (e.g. "20 users, +5/s, 60s")')
    args = parser.parse_args(argv)
    folder: Path = args.folder
    if not (folder / STATS).exists() or not (folder / SUMMARY).exists():
        print(f"load: no {STATS} or {SUMMARY} in {folder}: did locust run? (see {folder / 'locust.log'})")
        return 2
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = f"Buynest load (locust) - {when} - {args.run + ', ' if args.run else ''}{os.cpu_count()} cores"
    summary = json.loads((folder / SUMMARY).read_text())
    text = render(read_stats(json.loads((folder / STATS).read_text())), summary, title)
    print(text)
    (folder / "table.txt").write_text(text + "\n")
    return 1 if server_errors(summary.get("statuses", {})) else 0


if __name__ == "__main__":
    sys.exit(main())
