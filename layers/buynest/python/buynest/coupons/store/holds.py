"""The coupon's part in the order saga: the order's hold and the coupon it points at, every change conditioned
on the order that holds the coupon."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from buynest.core.dynamo import CONDITION_FAILED, contention, reason_codes
from buynest.coupons.domain import (
    CouponChanged,
    CouponHold,
    CouponStatus,
)
from buynest.coupons.store.items import (
    HOLD_SK,
    CouponItem,
    CouponsTable,
    HoldItem,
    coupon_sk,
    hold_item,
    hold_pk,
    is_condition_failure,
    to_hold,
    user_pk,
)


class HoldStore(CouponsTable):
    """Holds and the coupon state changes of the saga."""

    def get_hold(self, order_id: str) -> CouponHold | None:
        try:
            return to_hold(HoldItem.get(hold_pk(order_id), HOLD_SK, consistent_read=True))
        except DoesNotExist:
            return None

    def save_hold(self, hold: CouponHold) -> CouponHold:
        try:
            hold_item(hold).save(condition=HoldItem.pk.does_not_exist())
        except PutError as exc:
            if not is_condition_failure(exc):
                raise
            stored = self.get_hold(hold.order_id)
            if stored is None:
                raise
            return stored
        return hold

    def reserve(self, hold: CouponHold, now: int, updated_at: str) -> CouponHold:
        coupon = CouponItem(pk=user_pk(hold.user_id), sk=coupon_sk(hold.code or ""))
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(hold_item(hold), condition=HoldItem.pk.does_not_exist())
                tx.update(
                    coupon,
                    actions=[
                        CouponItem.status.set(CouponStatus.RESERVED.value),
                        CouponItem.reservedBy.set(hold.order_id),
                        CouponItem.updatedAt.set(updated_at),
                    ],
                    condition=(CouponItem.couponId == hold.coupon_id)
                    & (CouponItem.status == CouponStatus.ISSUED.value)
                    & (CouponItem.expiresEpoch > now),
                )
        except TransactWriteError as exc:
            hold_reason, coupon_reason = reason_codes(exc, 2)
            if hold_reason == CONDITION_FAILED:
                stored = self.get_hold(hold.order_id)
                if stored is not None:
                    return stored
            if coupon_reason == CONDITION_FAILED or contention(exc, [hold_reason, coupon_reason]):
                raise CouponChanged(f"coupon {hold.coupon_id} changed while reserving it") from exc
            raise
        return hold

    def mark_used(self, hold: CouponHold, updated_at: str) -> bool:
        return self._move(
            hold,
            [CouponItem.status.set(CouponStatus.USED.value), CouponItem.updatedAt.set(updated_at)],
            (CouponItem.status == CouponStatus.RESERVED.value) & (CouponItem.reservedBy == hold.order_id),
        )

    def release(self, hold: CouponHold, to_status: CouponStatus, include_used: bool, updated_at: str) -> bool:
        held = [CouponStatus.RESERVED.value, CouponStatus.USED.value] if include_used else [CouponStatus.RESERVED.value]
        return self._move(
            hold,
            [
                CouponItem.status.set(to_status.value),
                CouponItem.reservedBy.remove(),
                CouponItem.updatedAt.set(updated_at),
            ],
            CouponItem.status.is_in(*held) & (CouponItem.reservedBy == hold.order_id),
        )

    def _move(self, hold: CouponHold, actions: list[Any], condition: Condition) -> bool:
        item = CouponItem(pk=user_pk(hold.user_id), sk=coupon_sk(hold.code or ""))
        try:
            item.update(actions=actions, condition=condition & (CouponItem.couponId == hold.coupon_id))
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
