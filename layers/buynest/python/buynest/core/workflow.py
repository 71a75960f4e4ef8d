"""The payment workflow's state as its tasks receive it: the execution's input (``orderId``, ``userId``, ``amount``,
``tokenKind``) plus, once authorized, the authorization's result under ``payment`` (absent when the order had nothing
to pay). Each task is passed the whole state."""

from __future__ import annotations

from typing import Any


def lift_payment_id(data: Any) -> Any:
    """``data`` with ``paymentId`` taken from ``payment.paymentId`` when it has no ``paymentId`` of its own (a
    pydantic ``mode="before"`` validator body: anything else passes unchanged)."""
    if isinstance(data, dict) and "paymentId" not in data and isinstance(data.get("payment"), dict):
        return {**data, "paymentId": data["payment"].get("paymentId")}
    return data
