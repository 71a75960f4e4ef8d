"""A minimal AWS Lambda Runtime API server, one per execution environment.

The function process (``python -m awslambdaric <handler>``) talks to this server exactly as it talks to
the Runtime API inside AWS Lambda: it long-polls ``invocation/next`` and posts the outcome to
``invocation/<id>/response`` or ``invocation/<id>/error`` (or ``init/error`` when the handler cannot be
loaded). The executor on the other side hands over one event at a time through a :class:`RuntimeChannel`.
"""

from __future__ import annotations

import enum
import json
import logging
import re
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = logging.getLogger(__name__)

API_PREFIX = "/2018-06-01/runtime"
_INVOCATION_PATH = re.compile(rf"^{API_PREFIX}/invocation/(?P<request_id>[^/]+)/(?P<kind>response|error)$")


@dataclass(frozen=True)
class RuntimeEvent:
    """One invocation as delivered to the runtime by ``GET invocation/next``."""

    request_id: str
    payload: bytes
    invoked_function_arn: str
    trace_id: str
    deadline_ms: int


class Outcome(enum.Enum):
    """How an invocation (or the init phase preceding it) ended."""

    SUCCESS = "success"
    FUNCTION_ERROR = "function_error"
    INIT_ERROR = "init_error"
    EXITED = "exited"
    TIMED_OUT = "timed_out"
    TOO_LARGE = "too_large"


@dataclass(frozen=True)
class RuntimeResult:
    """The end of an invocation or init phase: what happened and the body the runtime posted, if any."""

    outcome: Outcome
    body: bytes = b""
    exit_status: int | None = None


class RuntimeChannel:
    """Hands events to one runtime process and collects what it reports back.

    A channel belongs to exactly one process: when the process is replaced, so is the channel, so that a
    late call from a dying process can never complete an invocation of its successor.
    """

    def __init__(self, max_payload_bytes: int) -> None:
        self._cond = threading.Condition()
        self._max_payload_bytes = max_payload_bytes
        self._initialized = False
        self._init_error: bytes | None = None
        self._exit_status: int | None = None
        self._closed = False
        self._pending: RuntimeEvent | None = None
        self._in_flight: str | None = None
        self._result: RuntimeResult | None = None

    def next_event(self) -> RuntimeEvent | None:
        """Called for ``invocation/next``: blocks until an event is submitted or the channel closes."""
        with self._cond:
            self._initialized = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._pending is not None or self._closed)
            if self._closed:
                return None
            event, self._pending = self._pending, None
            assert event is not None
            self._in_flight = event.request_id
            return event

    def report(self, request_id: str, body: bytes, is_error: bool) -> HTTPStatus:
        """Called for ``invocation/<id>/response`` and ``/error``; returns the HTTP status to answer with."""
        with self._cond:
            if request_id != self._in_flight:
                return HTTPStatus.BAD_REQUEST
            self._in_flight = None
            if not is_error and len(body) > self._max_payload_bytes:
                self._result = RuntimeResult(Outcome.TOO_LARGE)
                self._cond.notify_all()
                return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            self._result = RuntimeResult(Outcome.FUNCTION_ERROR if is_error else Outcome.SUCCESS, body)
            self._cond.notify_all()
            return HTTPStatus.ACCEPTED

    def report_init_error(self, body: bytes) -> None:
        """Called for ``init/error``."""
        with self._cond:
            self._init_error = body
            self._cond.notify_all()

    def process_exited(self, status: int) -> None:
        """Called by the executor's watcher thread once the runtime process has exited."""
        with self._cond:
            self._exit_status = status
            self._cond.notify_all()

    def close(self) -> None:
        """Releases every waiter; a blocked ``invocation/next`` returns without an event."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wait_initialized(self, timeout: float) -> RuntimeResult | None:
        """Waits for the init phase to end. Returns None when the runtime is ready for events."""
        with self._cond:
            done = self._cond.wait_for(
                lambda: self._initialized or self._init_error is not None or self._exit_status is not None,
                timeout,
            )
            if self._init_error is not None:
                return RuntimeResult(Outcome.INIT_ERROR, self._init_error, self._exit_status)
            if self._initialized:
                return None
            if done:
                return RuntimeResult(Outcome.EXITED, exit_status=self._exit_status)
            return RuntimeResult(Outcome.TIMED_OUT)

    def invoke(self, event: RuntimeEvent, timeout: float) -> RuntimeResult:
        """Submits an event and waits for its result, the process's exit, or the timeout."""
        with self._cond:
            self._result = None
            self._pending = event
            self._cond.notify_all()
            finished = self._cond.wait_for(lambda: self._result is not None or self._exit_status is not None, timeout)
            if self._result is not None:
                result, self._result = self._result, None
                return result
            self._pending = None
            if finished:
                return RuntimeResult(Outcome.EXITED, exit_status=self._exit_status)
            return RuntimeResult(Outcome.TIMED_OUT)


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    """Request handler implementing the Runtime API routes used by awslambdaric."""

    server: RuntimeApiServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        if self.path != f"{API_PREFIX}/invocation/next":
            self._reply(HTTPStatus.NOT_FOUND, {"errorType": "NotFound", "errorMessage": self.path})
            return
        event = self.server.channel.next_event()
        if event is None:
            self.close_connection = True
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Lambda-Runtime-Aws-Request-Id", event.request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(event.deadline_ms))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", event.invoked_function_arn)
        self.send_header("Lambda-Runtime-Trace-Id", event.trace_id)
        self.send_header("Content-Length", str(len(event.payload)))
        self.end_headers()
        self.wfile.write(event.payload)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        channel = self.server.channel
        if self.path == f"{API_PREFIX}/init/error":
            channel.report_init_error(body)
            self._reply(HTTPStatus.ACCEPTED, {"status": "OK"})
            return
        match = _INVOCATION_PATH.match(self.path)
        if not match:
            self._reply(HTTPStatus.NOT_FOUND, {"errorType": "NotFound", "errorMessage": self.path})
            return
        status = channel.report(match["request_id"], body, is_error=match["kind"] == "error")
        if status == HTTPStatus.ACCEPTED:
            self._reply(status, {"status": "OK"})
        elif status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            self._reply(status, {"errorType": "RequestEntityTooLarge", "errorMessage": "Payload too large"})
        else:
            self._reply(status, {"errorType": "InvalidRequestID", "errorMessage": "Invalid request ID"})

    def _reply(self, status: HTTPStatus, document: dict[str, str]) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        LOG.debug("runtime api %s: " + format, self.server.name, *args)


class RuntimeApiServer(ThreadingHTTPServer):
    """Runtime API endpoint on an ephemeral loopback port, serving whichever channel is current."""

    daemon_threads = True
    channel: RuntimeChannel

    def __init__(self, name: str, channel: RuntimeChannel) -> None:
        super().__init__(("127.0.0.1", 0), _RuntimeApiHandler)
        self.name = name
        self.channel = channel
        self._thread = threading.Thread(target=self.serve_forever, name=f"runtime-api-{name}", daemon=True)

    def handle_error(self, request: object, client_address: object) -> None:
        LOG.debug("runtime api %s: request from %s failed", self.name, client_address, exc_info=True)

    @property
    def address(self) -> str:
        """``host:port`` as awslambdaric expects it in ``AWS_LAMBDA_RUNTIME_API``."""
        return f"127.0.0.1:{self.server_port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.channel.close()
        self.shutdown()
        self.server_close()
