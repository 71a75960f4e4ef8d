"""Lets a LocalStack stop in a few seconds when it is told to (SIGTERM), instead of waiting for the SIGKILL.

Two things held every stop past ``bin/stop``'s deadline (found with ``py-spy dump`` of a stopping LocalStack):

1. The Lambda service stops each function's event manager in turn (a pool of a few threads), and each one
   joins its poller thread, which is in a long poll of the function's internal queue of up to 2 s and only
   looks at its stop flag after it: with Buynest's ~40 functions that is ~40 x 2 s spread over a few threads,
   about 15 s of LocalStack's shutdown. :func:`stop_pollers_together` sets every poller's stop flag first, so
   that they all end their last poll in the same 2 s.
2. ``HypercornRuntimeServer.shutdown`` runs on LocalStack's ``Runtime-Shutdown`` thread and ends with
``self.loop.stop()``. ``loop.stop()`` is not thread-safe: called from another thread it only sets a flag that the
event loop reads after its current iteration, and the main thread, idle in ``select()`` with nothing scheduled, never
gets there. So even an idle LocalStack waited for the SIGKILL (the shutdown thread gone, the main thread still in
``EpollSelector.select`` under ``HypercornRuntimeServer.run``). :func:`wake_loop_after_shutdown` wakes the
loop once after ``shutdown``, so that it sees the flag, returns from ``run_forever`` and runs LocalStack's own
clean-up.

3. After its clean-up (``infra_stopped``), the process still spent more than the rest of the deadline in the
   interpreter's finalization (py-spy: the main thread alone, busy, no Python frame left), tearing down the
   objects of a deployed stack. :func:`exit_when_stopped` ends the process there, with LocalStack's exit code, once
   its clean-up has run and its output is flushed.

None changes what LocalStack does, only when: the same pollers stop, the same clean-up runs.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading


def stop_pollers_together() -> None:
    """Wraps ``LambdaService.stop`` so that it first tells every event manager's poller to stop."""
    from localstack.services.lambda_.invocation.lambda_service import LambdaService

    original = LambdaService.stop
    if getattr(original, "_buynest_stops_pollers", False):
        return

    @functools.wraps(original)
    def stop(self: LambdaService) -> None:
        for event_manager in list(self.event_managers.values()):
            poller = event_manager.poller
            if poller is not None:
                poller.stop()
        original(self)

    stop._buynest_stops_pollers = True  # type: ignore[attr-defined]
    LambdaService.stop = stop  # type: ignore[method-assign]


def wake_loop_after_shutdown() -> None:
    """Wraps ``HypercornRuntimeServer.shutdown`` so that the loop it stops is woken up (once, thread-safely)."""
    from localstack.runtime.server.hypercorn import HypercornRuntimeServer

    original = HypercornRuntimeServer.shutdown
    if getattr(original, "_buynest_wakes_loop", False):
        return

    @functools.wraps(original)
    def shutdown(self: HypercornRuntimeServer) -> None:
        original(self)
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(lambda: None)

    shutdown._buynest_wakes_loop = True  # type: ignore[attr-defined]
    HypercornRuntimeServer.shutdown = shutdown  # type: ignore[method-assign]


def exit_when_stopped() -> None:
    """Ends the process as soon as LocalStack's runtime has finished its clean-up, skipping the finalization."""
    from localstack.runtime import events

    def exit_after_clean_up() -> None:
        events.infra_stopped.wait()
        from localstack.runtime.current import get_current_runtime

        code = get_current_runtime().exit_code
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(code)

    threading.Thread(target=exit_after_clean_up, name="buynest-exit-when-stopped", daemon=True).start()
