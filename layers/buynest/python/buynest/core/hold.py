"""What an order's hold (its stock, coupon or points record) can be, in plain Python: the one vocabulary of every
service's part in the order saga (``buynest.core.saga``)."""

from __future__ import annotations

from enum import StrEnum


class HoldState(StrEnum):
    """A hold's state: it decides what a repeated or late order event may still do, and every change of it is a
    condition of the write that makes it. A hold of an order that ended before its ``OrderCreated`` was handled is
    RELEASED from the start (a tombstone), so that late event takes nothing."""

    RESERVED = "RESERVED"
    REJECTED = "REJECTED"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"


HELD = (HoldState.RESERVED, HoldState.COMMITTED)
