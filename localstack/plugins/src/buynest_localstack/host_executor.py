"""LocalStack Lambda runtime executor that runs each execution environment as a host process.

LocalStack creates one executor per execution environment. This executor starts AWS's runtime interface
client (``python -m awslambdaric <handler>``) with the interpreter named by ``BUYNEST_LAMBDA_PYTHON``
against a Runtime API server of its own (:mod:`buynest_localstack.runtime_api`), and plays the part
that the Lambda service and its init binary play on AWS and in LocalStack's Docker executor: it sets
the function's environment and search path (function code, then layers), enforces the timeout,
replaces a process that timed out or died, and returns each invocation's output as its logs, which
LocalStack's Lambda service then writes to CloudWatch Logs.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import logging
import math
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from localstack.aws.api.lambda_ import PackageType
from localstack.config import GATEWAY_LISTEN, LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES
from localstack.runtime.shutdown import ON_AFTER_SERVICE_SHUTDOWN_HANDLERS
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

from buynest_localstack.runtime_api import (
    Outcome,
    RuntimeApiServer,
    RuntimeChannel,
    RuntimeEvent,
    RuntimeResult,
)

LOG = logging.getLogger(__name__)

FUNCTION_PYTHON_ENV = "BUYNEST_LAMBDA_PYTHON"
LOCAL_DIR_ENV = "BUYNEST_LOCAL_DIR"
COLD_STARTS_ENV = "BUYNEST_LAMBDA_COLD_STARTS"
INIT_TIMEOUT_SECONDS = 10.0
COLD_START_WAIT_SECONDS = 30.0
FIRST_INVOKE_ADMISSION_SECONDS = 5.0
_OUTPUT_TAIL_BYTES = 64 * 1024
_KEPT_LOCALSTACK_VARIABLES = {"LOCALSTACK_HOSTNAME"}
_DROPPED_VARIABLES = {"AWS_LAMBDA_FUNCTION_TIMEOUT"}
_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def function_python() -> Path:
    """The interpreter of the function runtime venv, taken from ``BUYNEST_LAMBDA_PYTHON``."""
    value = os.environ.get(FUNCTION_PYTHON_ENV, "").strip()
    if not value:
        raise LambdaRuntimeException(
            f"{FUNCTION_PYTHON_ENV} is not set: it must name the Python of the function runtime venv"
        )
    path = Path(value)
    if not os.access(path, os.X_OK):
        raise LambdaRuntimeException(f"{FUNCTION_PYTHON_ENV}={value} is not an executable interpreter")
    return path


@functools.cache
def _interpreter_version(python: Path) -> str:
    completed = subprocess.run(  # noqa: S603
        [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


def _python_version_of(runtime: str) -> str:
    return runtime.removeprefix("python")


def _endpoint_host() -> str:
    host = GATEWAY_LISTEN[0].host
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104


def _exit_description(status: int | None) -> str:
    if status is None:
        return "unknown"
    if status < 0:
        try:
            name = signal.Signals(-status).name.removeprefix("SIG").lower()
        except ValueError:
            name = str(-status)
        return f"signal: {'killed' if name == 'kill' else name}"
    return f"exit status {status}"


class _DeveloperLog:
    """Appends every invocation's log text to ``$BUYNEST_LOCAL_DIR/logs/lambda/<FunctionName>.log``."""

    _lock = threading.Lock()

    @classmethod
    def append(cls, function_name: str, text: str) -> None:
        local_dir = os.environ.get(LOCAL_DIR_ENV)
        if not local_dir:
            return
        path = Path(local_dir) / "logs" / "lambda" / f"{function_name}.log"
        try:
            with cls._lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as log_file:
                    log_file.write(text)
        except OSError as error:
            LOG.warning("Cannot append to %s: %s", path, error)


class _ColdSlot:
    """One admission to the cold phase; :meth:`release` gives it back, once, however often it is called."""

    def __init__(self, semaphore: threading.BoundedSemaphore | None) -> None:
        self._semaphore = semaphore
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            semaphore, self._semaphore = self._semaphore, None
        if semaphore is not None:
            semaphore.release()


class _ColdStarts:
    """Admits a bounded number of execution environments to their cold phase at a time.

    On AWS every environment has CPU of its own. Here they share the host's cores with LocalStack, and a
    cold phase (imports, then the first invocation creating its clients) is about half a second of CPU. A
    burst of 32 cold environments on 2 cores time-sliced all together makes every one of them take ~8 s, and
    LocalStack, which they all call, is starved with them: first invocations then hit the function timeout.
    Admitted a few at a time (``BUYNEST_LAMBDA_COLD_STARTS``, default: the number of cores), each cold phase
    takes its own half second and the rest wait their turn. Only the wait is added; the init and invocation
    timeouts start when the environment is admitted. An admission ends with the first invocation, or
    ``FIRST_INVOKE_ADMISSION_SECONDS`` into it. The wait is bounded (``COLD_START_WAIT_SECONDS``), after which
    an environment goes ahead unadmitted, so that a cold phase that needs another one can never deadlock.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphore = threading.BoundedSemaphore(limit)

    @classmethod
    def from_environment(cls) -> _ColdStarts:
        value = os.environ.get(COLD_STARTS_ENV, "").strip()
        limit = max(2, os.cpu_count() or 1)
        if value:
            try:
                limit = int(value)
            except ValueError:
                LOG.warning("%s=%s is not a number; using the number of cores", COLD_STARTS_ENV, value)
        return cls(max(1, limit))

    def admit(self, function_name: str, wait_seconds: float = COLD_START_WAIT_SECONDS) -> _ColdSlot:
        if self._semaphore.acquire(timeout=wait_seconds):
            return _ColdSlot(self._semaphore)
        LOG.warning(
            "%s starts cold without waiting further: %d cold starts were running for %.0f s",
            function_name,
            self.limit,
            wait_seconds,
        )
        return _ColdSlot(None)


_COLD_STARTS = _ColdStarts.from_environment()


class _HotSources:
    """The host directories of an environment's hot-reloaded code (LocalStack's ``hot-reload`` bucket) and layers.

    LocalStack's own runtime init watches those directories and restarts the runtime when a file changes; this
    executor does the same when an invocation comes: when the files under them differ from those the running
    process was started with (any file added, removed or modified), the process is replaced before it is
    invoked, so that an edit is live on the next invocation. Their bytecode is kept under
    ``$BUYNEST_LOCAL_DIR/hot-reload/pycache``, out of the working tree; a change empties it, because Python
    checks a cached module against its source's size and mtime in whole seconds, and an edit that keeps the
    size within the same second would otherwise run the old bytecode.
    """

    def __init__(self, directories: list[Path]) -> None:
        self.directories = directories
        local_dir = os.environ.get(LOCAL_DIR_ENV)
        base = Path(local_dir) if local_dir else Path(tempfile.gettempdir()) / "buynest-lambda"
        self.pycache = base / "hot-reload" / "pycache"

    def __bool__(self) -> bool:
        return bool(self.directories)

    def fingerprint(self) -> frozenset[tuple[str, int, int]]:
        found: set[tuple[str, int, int]] = set()
        for directory in self.directories:
            for root, dirs, files in os.walk(directory):
                dirs[:] = [name for name in dirs if name != "__pycache__" and not name.startswith(".")]
                for name in files:
                    path = os.path.join(root, name)
                    with contextlib.suppress(OSError):
                        stat = os.stat(path)
                        found.add((path, stat.st_mtime_ns, stat.st_size))
        return frozenset(found)

    def forget_bytecode(self) -> None:
        shutil.rmtree(self.pycache, ignore_errors=True)


@dataclass(eq=False)
class _RuntimeProcess:
    """One runtime process, the channel it talks through and the file its output goes to."""

    popen: subprocess.Popen[bytes]
    channel: RuntimeChannel
    output_path: Path
    launched_at: float = field(default_factory=time.perf_counter)
    init_failure: RuntimeResult | None = None
    init_duration_ms: float | None = None
    init_output: str = ""
    cold_slot: _ColdSlot = field(default_factory=lambda: _ColdSlot(None))
    sources: frozenset[tuple[str, int, int]] = frozenset()
    _output_offset: int = 0

    def alive(self) -> bool:
        return self.popen.poll() is None

    def read_output(self) -> str:
        """Output written since the previous call. The runtime writes before it reports, so none is lost."""
        try:
            with self.output_path.open("rb") as output:
                output.seek(self._output_offset)
                data = output.read()
        except FileNotFoundError:
            return ""
        self._output_offset += len(data)
        return data.decode("utf-8", errors="replace")

    def output_tail(self) -> str:
        try:
            with self.output_path.open("rb") as output:
                output.seek(max(0, self.output_path.stat().st_size - _OUTPUT_TAIL_BYTES))
                return output.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def max_memory_mb(self) -> int | None:
        try:
            status = Path(f"/proc/{self.popen.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return math.ceil(int(line.split()[1]) / 1024)
        return None

    def kill(self) -> None:
        """Kills the runtime and everything it started (it leads its own session)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            LOG.warning("Runtime process %s did not exit after SIGKILL", self.popen.pid)
        self.channel.close()
        _LIVE_PROCESSES.discard(self)
        self.cold_slot.release()


class _LiveProcesses:
    """Every runtime process still running, so that LocalStack's shutdown can end them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: set[_RuntimeProcess] = set()

    def add(self, process: _RuntimeProcess) -> None:
        with self._lock:
            self._processes.add(process)

    def discard(self, process: _RuntimeProcess) -> None:
        with self._lock:
            self._processes.discard(process)

    def kill_all(self) -> None:
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            process.kill()


_LIVE_PROCESSES = _LiveProcesses()
ON_AFTER_SERVICE_SHUTDOWN_HANDLERS.register(_LIVE_PROCESSES.kill_all)
atexit.register(_LIVE_PROCESSES.kill_all)


class HostRuntimeExecutor(RuntimeExecutor):
    """Runs one Lambda execution environment as a host process running ``awslambdaric``.

    The process is started by :meth:`start` and reused by every invocation of this environment. After a
    timeout, a crash or a failed init, the process is discarded and the next invocation starts a new one
    (a cold start), as on AWS. Invocations of one environment are sequential; LocalStack runs concurrent
    invocations in separate environments, hence separate processes.
    """

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self._invoke_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._stopped = False
        self._process: _RuntimeProcess | None = None
        self._server: RuntimeApiServer | None = None
        self._workdir: Path | None = None
        self._environment: dict[str, str] = {}
        self._hot = _HotSources([])

    @property
    def _function_name(self) -> str:
        return self.function_version.id.function_name

    def start(self, env_vars: dict[str, str]) -> None:
        python = function_python()
        root = Path(tempfile.gettempdir()) / "buynest-lambda"
        root.mkdir(parents=True, exist_ok=True)
        self._workdir = Path(tempfile.mkdtemp(prefix=f"{self._function_name}-{self.id[:8]}-", dir=root))
        (self._workdir / "tmp").mkdir()
        self._server = RuntimeApiServer(self.id, self._new_channel())
        self._server.start()
        self._hot = self._hot_sources()
        self._environment = self._build_environment(env_vars, python)
        with self._invoke_lock:
            self._launch()

    def stop(self) -> None:
        with self._state_lock:
            self._stopped = True
            process, self._process = self._process, None
        if process is not None:
            process.kill()
        if self._server is not None:
            self._server.stop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return _endpoint_host()

    def get_runtime_endpoint(self) -> str:
        return f"http://{_endpoint_host()}:{GATEWAY_LISTEN[0].port}/_localstack_lambda/{self.id}"

    def get_logs(self) -> str:
        process = self._process
        return process.output_tail() if process is not None else ""

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        with self._invoke_lock:
            process = self._process
            if process is not None and self._hot and process.sources != self._hot.fingerprint():
                LOG.info("Code of %s changed: restarting environment %s", self._function_name, self.id)
                self._discard(process)
                self._hot.forget_bytecode()
                process = None
            if process is None or (not process.alive() and process.init_failure is None):
                process = self._launch()
            init_output, init_duration_ms = process.init_output, process.init_duration_ms
            process.init_output, process.init_duration_ms = "", None
            duration_ms = 0.0
            failed_in_init = process.init_failure is not None
            if process.init_failure is not None:
                result = process.init_failure
            else:
                timeout = float(self.function_version.config.timeout)
                event = RuntimeEvent(
                    request_id=request_id,
                    payload=payload["payload"].encode("utf-8"),
                    invoked_function_arn=payload["invoked-function-arn"],
                    trace_id=payload.get("trace-id") or "",
                    deadline_ms=int((time.time() + timeout) * 1000),
                )
                started = time.perf_counter()
                result = process.channel.invoke(event, timeout)
                duration_ms = (time.perf_counter() - started) * 1000
            process.cold_slot.release()
            memory_mb = process.max_memory_mb()
            if failed_in_init or result.outcome in (Outcome.TIMED_OUT, Outcome.EXITED):
                self._discard(process)
            output = process.read_output()
        return self._invocation_result(
            request_id,
            result,
            _Report(init_output, output, duration_ms, init_duration_ms, memory_mb, failed_in_init),
        )

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        function_config = function_version.config
        runtime = function_config.runtime or ""
        if function_config.package_type != PackageType.Zip or not runtime.startswith("python"):
            raise LambdaRuntimeException(
                f"The buynest-host executor runs Python .zip functions only, not {runtime or 'images'}"
            )
        python = function_python()
        actual = _interpreter_version(python)
        if actual != _python_version_of(runtime):
            LOG.warning(
                "Function %s declares %s but %s is Python %s",
                function_version.id.function_name,
                runtime,
                python,
                actual,
            )
        if function_config.code:
            function_config.code.prepare_for_execution()
        for layer in function_config.layers:
            if layer.code:
                layer.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        try:
            function_python()
        except LambdaRuntimeException as error:
            LOG.warning("Lambda functions cannot run: %s", error)
            return False
        return True

    def _hot_sources(self) -> _HotSources:
        function_config = self.function_version.config
        codes = [function_config.code, *(layer.code for layer in function_config.layers)]
        return _HotSources(
            [Path(code.get_unzipped_code_location()) for code in codes if code is not None and code.is_hot_reloading()]
        )

    def _new_channel(self) -> RuntimeChannel:
        return RuntimeChannel(LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES)

    def _build_environment(self, env_vars: dict[str, str], python: Path) -> dict[str, str]:
        function_config = self.function_version.config
        assert function_config.code is not None and self._server is not None and self._workdir is not None
        runtime = str(function_config.runtime)
        code_dir = Path(function_config.code.get_unzipped_code_location())
        layer_dirs = [
            Path(layer.code.get_unzipped_code_location())
            for layer in reversed(function_config.layers)
            if layer.code is not None
        ]
        site_dir = f"lib/python{_python_version_of(runtime)}/site-packages"
        layer_path = [layer / "python" / site_dir for layer in layer_dirs] + [layer / "python" for layer in layer_dirs]
        python_path = [code_dir, *(path for path in layer_path if path.is_dir())]
        library_path = [code_dir, code_dir / "lib", *(layer / "lib" for layer in layer_dirs)]
        bin_path = [python.parent, *(layer / "bin" for layer in layer_dirs)]

        user_environment = function_config.environment or {}
        environment = {
            key: str(value)
            for key, value in env_vars.items()
            if key not in _DROPPED_VARIABLES
            and (not key.startswith("LOCALSTACK_") or key in _KEPT_LOCALSTACK_VARIABLES)
        }
        environment.update(
            AWS_LAMBDA_RUNTIME_API=self._server.address,
            AWS_EXECUTION_ENV=f"AWS_Lambda_{runtime}",
            LAMBDA_TASK_ROOT=str(code_dir),
            LAMBDA_RUNTIME_DIR=str(python.parent.parent),
        )
        own_path = os.pathsep.join(str(path) for path in python_path)
        user_python_path = user_environment.get("PYTHONPATH")
        defaults = {
            "PATH": os.pathsep.join([*(str(path) for path in bin_path if path.is_dir()), _SYSTEM_PATH]),
            "LANG": "en_US.UTF-8",
            "LD_LIBRARY_PATH": os.pathsep.join(str(path) for path in library_path if path.is_dir()),
            "TMPDIR": str(self._workdir / "tmp"),
            "AWS_CONFIG_FILE": str(self._workdir / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self._workdir / "no-aws-credentials"),
        }
        for key, value in defaults.items():
            if key not in user_environment and value:
                environment[key] = value
        environment["PYTHONPATH"] = f"{user_python_path}{os.pathsep}{own_path}" if user_python_path else own_path
        if self._hot:
            environment["PYTHONPYCACHEPREFIX"] = str(self._hot.pycache)
        return environment

    def _launch(self) -> _RuntimeProcess:
        """Starts a runtime process and waits for the end of its init phase."""
        assert self._server is not None and self._workdir is not None
        function_config = self.function_version.config
        assert function_config.code is not None and function_config.handler
        channel = self._new_channel()
        output_path = self._workdir / "output.log"
        sources = self._hot.fingerprint() if self._hot else frozenset()
        slot = _COLD_STARTS.admit(self._function_name)
        try:
            with self._state_lock:
                if self._stopped:
                    raise LambdaRuntimeException(f"Execution environment {self.id} is stopped")
                self._server.channel = channel
                with output_path.open("wb") as output:
                    popen = subprocess.Popen(  # noqa: S603
                        [str(function_python()), "-m", "awslambdaric", function_config.handler],
                        cwd=function_config.code.get_unzipped_code_location(),
                        env=self._environment,
                        stdin=subprocess.DEVNULL,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                process = _RuntimeProcess(popen, channel, output_path, cold_slot=slot, sources=sources)
                self._process = process
                _LIVE_PROCESSES.add(process)
        except BaseException:
            slot.release()
            raise
        threading.Thread(
            target=lambda: channel.process_exited(popen.wait()),
            name=f"runtime-watch-{popen.pid}",
            daemon=True,
        ).start()
        process.init_failure = channel.wait_initialized(INIT_TIMEOUT_SECONDS)
        process.init_duration_ms = (time.perf_counter() - process.launched_at) * 1000
        process.init_output = process.read_output()
        if process.init_failure is None:
            # the first invocation creates the function's clients, so it is part of the cold phase; a long one
            # (a consumer's whole batch) gives its admission back after FIRST_INVOKE_ADMISSION_SECONDS
            release = threading.Timer(FIRST_INVOKE_ADMISSION_SECONDS, process.cold_slot.release)
            release.daemon = True
            release.start()
        else:
            process.cold_slot.release()
            LOG.info(
                "Init of %s failed (%s) in environment %s",
                self._function_name,
                process.init_failure.outcome.value,
                self.id,
            )
        return process

    def _discard(self, process: _RuntimeProcess) -> None:
        process.kill()
        with self._state_lock:
            if self._process is process:
                self._process = None

    def _invocation_result(self, request_id: str, result: RuntimeResult, report: _Report) -> InvocationResult:
        error_type: str | None = None
        status: str | None = None
        payload = result.body
        match result.outcome:
            case Outcome.SUCCESS:
                pass
            case Outcome.FUNCTION_ERROR | Outcome.INIT_ERROR:
                error_type, status = _error_type(result.body), "error"
            case Outcome.TIMED_OUT:
                error_type, status = "Sandbox.Timedout", "timeout"
                limit = INIT_TIMEOUT_SECONDS if report.in_init else float(self.function_version.config.timeout)
                message = f"Task timed out after {limit:.2f} seconds"
                report.output += f"{_timestamp()} {request_id} {message}\n"
                payload = _error_document(error_type, f"RequestId: {request_id} Error: {message}")
            case Outcome.EXITED:
                error_type, status = "Runtime.ExitError", "error"
                reason = _exit_description(result.exit_status)
                payload = _error_document(
                    error_type, f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
                )
            case Outcome.TOO_LARGE:
                error_type, status = "Function.ResponseSizeTooLarge", "error"
                limit_bytes = LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES
                message = f"Response payload size exceeded maximum allowed payload size ({limit_bytes} bytes)."
                payload = _error_document(error_type, message)
        logs = self._format_logs(request_id, report, status, error_type)
        _DeveloperLog.append(self._function_name, f"--- {_timestamp()}\n{logs}")
        return InvocationResult(
            request_id=request_id,
            payload=payload,
            is_error=result.outcome is not Outcome.SUCCESS,
            logs=logs,
        )

    def _format_logs(self, request_id: str, report: _Report, status: str | None, error_type: str | None) -> str:
        fields = [
            f"REPORT RequestId: {request_id}",
            f"Duration: {report.duration_ms:.2f} ms",
            f"Billed Duration: {max(1, math.ceil(report.duration_ms))} ms",
            f"Memory Size: {self.function_version.config.memory_size} MB",
        ]
        if report.memory_mb is not None:
            fields.append(f"Max Memory Used: {report.memory_mb} MB")
        if report.init_duration_ms is not None:
            fields.append(f"Init Duration: {report.init_duration_ms:.2f} ms")
        if status is not None:
            fields.append(f"Status: {status}")
        if error_type is not None:
            fields.append(f"Error Type: {error_type}")
        return (
            _as_lines(report.init_output)
            + f"START RequestId: {request_id} Version: {self.function_version.id.qualifier}\n"
            + _as_lines(report.output)
            + f"END RequestId: {request_id}\n"
            + "\t".join(fields)
            + "\n"
        )


@dataclass
class _Report:
    """What the log lines of one invocation are made of."""

    init_output: str
    output: str
    duration_ms: float
    init_duration_ms: float | None
    memory_mb: int | None
    in_init: bool


def _as_lines(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def _timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error_document(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def _error_type(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document.get("errorType") if isinstance(document, dict) else None
