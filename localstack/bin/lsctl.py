"""Start, stop and check a host-mode LocalStack for Buynest (used by bin/start, bin/stop, bin/status).

Only the standard library is used, so that stopping works with any Python 3.9+, whatever state the
LocalStack venv is in. Settings come from the environment:

  LOCAL                        state directory (default: <repo>/.local)
  LOCALSTACK_PORT              gateway port on 127.0.0.1 (default 4566)
  LS_VENV                      LocalStack's venv (default: $LOCAL/ls-venv)
  BUYNEST_LAMBDA_PYTHON        interpreter that runs functions (default: $LOCAL/runtime-venv/bin/python)
  LOCALSTACK_START_TIMEOUT     seconds to wait for health (default 60)
  LOCALSTACK_STOP_TIMEOUT      seconds between SIGTERM and SIGKILL (default 15)
  LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC, LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC,
  BUYNEST_DYNAMODB_TTL_SWEEP_SEC, BUYNEST_STREAM_IDLE_POLL_SEC, BUYNEST_QUEUE_IDLE_POLL_SEC,
  BUYNEST_LOGS_BATCH_SEC,
  LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT, LS_LOG: passed on, with the defaults below
  BUYNEST_LAMBDA_COLD_STARTS   environments admitted to their cold phase at once (default: the number of cores)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXECUTOR = "buynest-host"
SERVICES = (
    "apigateway", "cloudformation", "dynamodb", "dynamodbstreams", "events", "iam", "lambda", "logs", "s3",
    "secretsmanager", "ses", "sqs", "ssm", "stepfunctions", "sts",
)  # fmt: skip
PS = shutil.which("ps") or "/bin/ps"
START_MARKER = "=== bin/start"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Settings:
    """Paths and ports of one LocalStack instance, derived from the environment."""

    def __init__(self) -> None:
        self.local = Path(os.environ.get("LOCAL") or REPO / ".local").resolve()
        self.port = int(os.environ.get("LOCALSTACK_PORT") or 4566)
        self.ls_venv = Path(os.environ.get("LS_VENV") or self.local / "ls-venv")
        self.function_python = Path(
            os.environ.get("BUYNEST_LAMBDA_PYTHON") or self.local / "runtime-venv" / "bin" / "python"
        )
        self.pid_file = self.local / "localstack.pid"
        self.log_file = self.local / "logs" / "localstack.log"
        self.state = self.local / "localstack"
        self.start_timeout = float(os.environ.get("LOCALSTACK_START_TIMEOUT") or 60)
        self.stop_timeout = float(os.environ.get("LOCALSTACK_STOP_TIMEOUT") or 15)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def localstack_environment(self) -> dict[str, str]:
        tmp = self.state / "tmp"
        env = dict(os.environ)
        env.update(
            GATEWAY_LISTEN=f"127.0.0.1:{self.port}",
            GATEWAY_SERVER="hypercorn",
            LOCALSTACK_HOST=f"127.0.0.1:{self.port}",
            SQS_ENDPOINT_STRATEGY="path",
            DNS_ADDRESS="0",
            SKIP_SSL_CERT_DOWNLOAD="1",
            DISABLE_EVENTS="1",
            PERSISTENCE="0",
            FILESYSTEM_ROOT=str(self.state / "fs"),
            TMPDIR=str(tmp),
            LAMBDA_RUNTIME_EXECUTOR=EXECUTOR,
            PROVIDER_OVERRIDE_DYNAMODB="moto",
            PROVIDER_OVERRIDE_DYNAMODBSTREAMS="moto",
            DYNAMODB_REMOVE_EXPIRED_ITEMS="1",
            BUYNEST_LAMBDA_PYTHON=str(self.function_python),
            BUYNEST_LOCAL_DIR=str(self.local),
            S3_SKIP_SIGNATURE_VALIDATION="0",
            # SQS would put a CloudWatch metric for every message sent, received and deleted: several calls per
            # saga hop in LocalStack's one process, for metrics nobody reads locally.
            SQS_DISABLE_CLOUDWATCH_METRICS="1",
        )
        # Only the APIs Buynest uses. Leaving CloudWatch out also stops LocalStack's Lambda service from putting
        # an "Invocations" metric for every invocation (about 14 calls per order, in LocalStack's one process).
        env.setdefault("SERVICES", ",".join(SERVICES))
        env.setdefault("LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC", "0.1")
        env.setdefault("LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC", "0.5")
        env.setdefault("BUYNEST_DYNAMODB_TTL_SWEEP_SEC", "60")
        # an idle DynamoDB stream poller waits this long at most for a write to its table (streamwait)
        env.setdefault("BUYNEST_STREAM_IDLE_POLL_SEC", "5")
        # and an idle SQS poller for a message in its queue (sqswait)
        env.setdefault("BUYNEST_QUEUE_IDLE_POLL_SEC", "5")
        # Lambda's logs reach CloudWatch Logs in one PutLogEvents per stream and window (logbatch)
        env.setdefault("BUYNEST_LOGS_BATCH_SEC", "1")
        # An environment's start includes its wait for a cold-start admission (host_executor._ColdStarts, up to
        # 30 s in a burst) before its own 10 s init; LocalStack's default of 20 s would fail it while it waits.
        env.setdefault("LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT", "60")
        env.setdefault("LS_LOG", "info")
        return env


def healthy(settings: Settings) -> bool:
    try:
        with _NO_PROXY.open(f"{settings.endpoint}/_localstack/health", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        state = subprocess.run(  # noqa: S603
            [PS, "-o", "stat=", "-p", str(pid)], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return False
    return state.startswith("Z")


def read_pid(settings: Settings) -> int | None:
    """The pid in the pid file, if that process is alive and is a LocalStack runtime."""
    try:
        pid = int(settings.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not alive(pid):
        return None
    command = subprocess.run(  # noqa: S603
        [PS, "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return pid if "localstack.runtime.main" in command else None


def descendants(pid: int) -> list[int]:
    """All processes below ``pid``, found through ``ps`` (Linux and macOS)."""
    listing = subprocess.run([PS, "-A", "-o", "pid=,ppid="], capture_output=True, text=True, check=False).stdout  # noqa: S603
    children: dict[int, list[int]] = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 2:
            children.setdefault(int(parts[1]), []).append(int(parts[0]))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def log_tail(settings: Settings, lines: int = 40) -> str:
    """The last lines that the latest start wrote to the log."""
    try:
        text = settings.log_file.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    latest_run = text.rsplit(START_MARKER, 1)[-1].partition("\n")[2]
    return "\n".join(latest_run.splitlines()[-lines:])


def _signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def stop_tree(settings: Settings, pid: int) -> bool:
    """SIGTERM to LocalStack, SIGKILL to whatever of its tree is left after the deadline."""
    tree = descendants(pid)
    _signal_all([pid], signal.SIGTERM)
    stopped = _wait_until(lambda: not alive(pid), settings.stop_timeout)
    tree = sorted(set(tree) | set(descendants(pid)))
    survivors = [child for child in tree if alive(child)]
    if not stopped or survivors:
        _signal_all([pid, *survivors], signal.SIGKILL)
        _wait_until(lambda: not alive(pid) and not any(alive(child) for child in survivors), 5)
    return stopped


def start(settings: Settings) -> int:
    pid = read_pid(settings)
    if pid is not None:
        if _wait_until(lambda: healthy(settings), settings.start_timeout, 0.2):
            print(f"LocalStack already running on {settings.endpoint} (pid {pid})")
            return 0
        print(f"LocalStack (pid {pid}) is running but not healthy; log tail:\n{log_tail(settings)}", file=sys.stderr)
        return 1
    settings.pid_file.unlink(missing_ok=True)
    if port_in_use(settings.port):
        print(f"Port {settings.port} on 127.0.0.1 is in use by another process; set LOCALSTACK_PORT", file=sys.stderr)
        return 1
    python = settings.ls_venv / "bin" / "python"
    if not python.exists():
        print(f"{python} missing: run 'make ls-venv' first", file=sys.stderr)
        return 1
    if not settings.function_python.exists():
        print(f"{settings.function_python} missing: run 'make runtime-venv' first", file=sys.stderr)
        return 1

    shutil.rmtree(settings.state / "tmp", ignore_errors=True)
    for directory in (settings.state / "fs", settings.state / "tmp", settings.log_file.parent):
        directory.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with settings.log_file.open("ab") as log:
        log.write(f"{START_MARKER} {time.strftime('%Y-%m-%dT%H:%M:%S')} port {settings.port} ===\n".encode())
        log.flush()
        process = subprocess.Popen(  # noqa: S603
            [str(python), "-m", "localstack.runtime.main"],
            cwd=settings.state,
            env=settings.localstack_environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    settings.pid_file.write_text(f"{process.pid}\n")

    def up() -> bool:
        return process.poll() is not None or healthy(settings)

    _wait_until(up, settings.start_timeout, 0.1)
    if process.poll() is None and healthy(settings):
        print(f"LocalStack ready on {settings.endpoint} (pid {process.pid}, {time.monotonic() - started:.1f} s)")
        return 0
    if process.poll() is not None:
        reason = f"exited with status {process.returncode} while starting"
    else:
        reason = f"did not become healthy within {settings.start_timeout:.0f} s"
    print(
        f"LocalStack {reason}; log tail ({settings.log_file}):",
        log_tail(settings),
        sep="\n",
        file=sys.stderr,
    )
    if process.poll() is None:
        stop_tree(settings, process.pid)
    settings.pid_file.unlink(missing_ok=True)
    return 1


def stop(settings: Settings) -> int:
    pid = read_pid(settings)
    if pid is None:
        settings.pid_file.unlink(missing_ok=True)
        print("LocalStack is not running")
        return 0
    graceful = stop_tree(settings, pid)
    settings.pid_file.unlink(missing_ok=True)
    if alive(pid):
        print(f"LocalStack (pid {pid}) survived SIGKILL", file=sys.stderr)
        return 1
    if not _wait_until(lambda: not port_in_use(settings.port), 5):
        print(f"Port {settings.port} is still in use after stopping LocalStack", file=sys.stderr)
        return 1
    print(f"LocalStack stopped{'' if graceful else ' (killed after timeout)'}")
    return 0


def status(settings: Settings) -> int:
    pid = read_pid(settings)
    if pid is None:
        print("LocalStack is not running")
        return 1
    if not healthy(settings):
        print(f"LocalStack (pid {pid}) is running but not healthy on {settings.endpoint}")
        return 1
    print(f"LocalStack is running on {settings.endpoint} (pid {pid})")
    return 0


def main(command: str) -> int:
    settings = Settings()
    return {"start": start, "stop": stop, "status": status}[command](settings)
