"""Retrying a conditional write that lost a conflict: jittered, exponentially growing pauses ("full jitter")."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    """At most ``max_attempts`` tries; before try n+1 a pause drawn from ``[0, min(cap, base * 2**n)]``."""

    max_attempts: int = 4
    base: float = 0.02
    cap: float = 0.2
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[float, float], float] = field(default=random.uniform, compare=False)

    def pause(self, attempt: int) -> None:
        """The pause after failed try number ``attempt`` (0-based)."""
        self.sleep(self.jitter(0, min(self.cap, self.base * 2**attempt)))

    def retrying[R](self, attempt: Callable[[], R], conflict: type[Exception]) -> R:
        """``attempt()`` until it does not raise ``conflict``; the last try's ``conflict`` propagates."""
        for number in range(self.max_attempts - 1):
            try:
                return attempt()
            except conflict:
                self.pause(number)
        return attempt()
