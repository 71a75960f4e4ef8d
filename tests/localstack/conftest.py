"""Fixtures for testing Buynest's LocalStack plugins against a real LocalStack.

A LocalStack of its own is started once per session on a free port with its state under pytest's tmp
dir, using the venvs built by ``make ls-venv runtime-venv`` (override with ``BUYNEST_LS_VENV`` and
``BUYNEST_LAMBDA_PYTHON``). With ``BUYNEST_LS_ENDPOINT=http://127.0.0.1:<port>`` the tests use an already
running LocalStack instead (its state dir, for the developer log check, is ``BUYNEST_LOCAL_DIR`` if set).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / "localstack" / "bin"
REGION = "us-east-1"


@dataclass(frozen=True)
class LocalStack:
    """A running LocalStack: its endpoint and, when known, its ``LOCAL`` state directory."""

    endpoint: str
    local_dir: Path | None

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tree_of(pid: int) -> list[int]:
    listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in listing.split("\n"):
        parts = line.split()
        if len(parts) == 2:
            children.setdefault(int(parts[1]), []).append(int(parts[0]))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _alive(pid: int) -> bool:
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout
    return bool(state.strip()) and not state.strip().startswith("Z")


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    if endpoint := os.environ.get("BUYNEST_LS_ENDPOINT"):
        given_dir = os.environ.get("BUYNEST_LOCAL_DIR")
        yield LocalStack(endpoint.rstrip("/"), Path(given_dir) if given_dir else None)
        return

    local_dir = tmp_path_factory.mktemp("local")
    port = _free_port()
    ls_venv = Path(os.environ.get("BUYNEST_LS_VENV") or REPO / ".local" / "ls-venv")
    function_python = Path(
        os.environ.get("BUYNEST_LAMBDA_PYTHON") or REPO / ".local" / "runtime-venv" / "bin" / "python"
    )
    for required, target in ((ls_venv / "bin" / "python", "ls-venv"), (function_python, "runtime-venv")):
        if not required.exists():
            pytest.fail(f"{required} is missing: run 'make {target}' first")
    env = dict(
        os.environ,
        LOCAL=str(local_dir),
        LOCALSTACK_PORT=str(port),
        LS_VENV=str(ls_venv),
        BUYNEST_LAMBDA_PYTHON=str(function_python),
        BUYNEST_LAMBDA_COLD_STARTS="2",
        # an idle stream or queue poller asks again only after this long unless its source is written (streamwait,
        # sqswait): long enough that a record delivered promptly after a quiet spell shows that the write woke it
        BUYNEST_STREAM_IDLE_POLL_SEC="30",
        BUYNEST_QUEUE_IDLE_POLL_SEC="30",
    )
    started = subprocess.run([sys.executable, BIN / "start"], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"LocalStack did not start:\n{started.stdout}\n{started.stderr}")
    pid = int((local_dir / "localstack.pid").read_text())
    tree: set[int] = set()
    try:
        yield LocalStack(f"http://127.0.0.1:{port}", local_dir)
    finally:
        tree.update(_tree_of(pid))
        stopped = subprocess.run([sys.executable, BIN / "stop"], env=env, capture_output=True, text=True)
        survivors = [p for p in tree | {pid} if _alive(p)]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            listening = probe.connect_ex(("127.0.0.1", port)) == 0
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        # guards the clean stop (buynest_localstack.shutdown): SIGTERM alone ends this LocalStack, which has run
        # and polled for every function of the session, within bin/stop's deadline; no SIGKILL
        assert "killed" not in stopped.stdout, stopped.stdout
        assert not survivors, f"processes left after stop: {survivors}"
        assert not listening, f"port {port} still listening after stop"


@pytest.fixture(scope="session")
def aws(localstack: LocalStack) -> Callable[[str], Any]:
    """Returns boto3 clients for the LocalStack under test: ``aws("lambda")``."""
    return localstack.client
