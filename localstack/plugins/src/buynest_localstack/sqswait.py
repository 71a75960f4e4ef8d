"""SQS event source pollers that wait for a message instead of asking an empty queue again and again.

LocalStack's SQS poller calls ``ReceiveMessage`` with a wait of the mapping's batching window, and after an empty
answer sleeps up to ``LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC`` before asking again: with
Buynest's nine queue mappings about six internal calls a second while nothing happens. AWS's pollers long-poll
instead. LocalStack's queues live in the same process, so after an empty answer the poller here waits on the
queue itself (its ``visible`` messages, the condition ``ReceiveMessage`` waits on) until a message is there, or
``BUYNEST_QUEUE_IDLE_POLL_SEC`` (default 5 s; 0 turns the wait off) has passed, or its mapping stops. The batching
window still counts from when the poller began gathering (the end of the empty answer), as LocalStack's long poll
counts it from the start of the call: if the window has not run out when the first message comes, the poller goes on
gathering until it has, or until a full batch is there; then one ``ReceiveMessage`` takes what is there.

The same ``ReceiveMessage`` calls (attributes, visibility, receive counts, dead-letter moves, batch sizes) deliver
the messages; only an idle queue's polling stops. FIFO queues keep LocalStack's behaviour unchanged.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

IDLE_POLL_ENV = "BUYNEST_QUEUE_IDLE_POLL_SEC"


def idle_poll_seconds() -> float:
    return float(os.environ.get(IDLE_POLL_ENV) or 5)


def _standard_queue(queue_arn: str) -> Any:
    """LocalStack's in-memory standard queue for ``queue_arn``, or None (FIFO, gone, other account layout)."""
    from localstack.services.sqs.models import StandardQueue, sqs_stores

    try:
        _, _, _, region, account, name = queue_arn.split(":", 5)
        queue = sqs_stores[account][region].queues.get(name)
    except (ValueError, KeyError):
        return None
    return queue if isinstance(queue, StandardQueue) else None


def install() -> None:
    """Patches LocalStack's SQS poller (once)."""
    from localstack.services.lambda_.event_source_mapping.pollers.poller import EmptyPollResultsException
    from localstack.services.lambda_.event_source_mapping.pollers.sqs_poller import SqsPoller

    from buynest_localstack.streamwait import wake_pollers_when_mappings_stop

    wake_pollers_when_mappings_stop()
    if getattr(SqsPoller.poll_events, "_buynest_waits", False):
        return
    original = SqsPoller.poll_events

    @functools.wraps(original)
    def poll_events(self: SqsPoller) -> None:
        empty_at: float | None = getattr(self, "_buynest_empty_at", None)
        waits = empty_at is not None and idle_poll_seconds() > 0
        queue = _standard_queue(self.source_arn) if waits else None
        window = self.maximum_batching_window
        if queue is not None and empty_at is not None:
            visible = queue.visible

            def stop() -> bool:
                return bool(visible.is_shutdown or getattr(self, "_buynest_stopping", False))

            with visible.not_empty:
                visible.not_empty.wait_for(lambda: visible._qsize() > 0 or stop(), timeout=idle_poll_seconds())
                gathering_ends = empty_at + window
                while not stop() and visible._qsize() < self.batch_size:
                    left = gathering_ends - time.monotonic()
                    if left <= 0:
                        break
                    visible.not_empty.wait(left)
            self.maximum_batching_window = 0  # the window has run out: take what is there
        try:
            original(self)
        except EmptyPollResultsException:
            self._buynest_empty_at = time.monotonic()
            raise
        else:
            self._buynest_empty_at = None
        finally:
            self.maximum_batching_window = window

    def wake(self: SqsPoller) -> None:
        """Ends a wait of this poller (its mapping stops); called by streamwait's EsmWorker wrappers."""
        self._buynest_stopping = True
        queue = _standard_queue(self.source_arn)
        if queue is not None:
            with queue.visible.not_empty:
                queue.visible.not_empty.notify_all()

    poll_events._buynest_waits = True  # type: ignore[attr-defined]
    SqsPoller.poll_events = poll_events  # type: ignore[method-assign]
    SqsPoller._buynest_wake = wake  # type: ignore[attr-defined]
