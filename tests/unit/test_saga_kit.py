"""The saga kit (``buynest.core.saga``): every service's part in the order saga is a ``Saga`` in its own
``saga.py``, routes each order event its consumer reads, and shares the one vocabulary of holds."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil

import pytest

import buynest
from buynest.core.events import EventModel
from buynest.core.hold import HoldState
from buynest.core.saga import Saga
from buynest.coupons import messages as coupons
from buynest.products import messages as products
from buynest.users import messages as users
from tests.unit.coupon_fakes import FakeCouponRepository, FakePublisher
from tests.unit.saga_fakes import FakePointsLedger, FakeStockLedger

SAGA_SERVICES = ("coupons", "products", "users")


def saga_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules(buynest.__path__)
        if info.ispkg and info.name != "core" and importlib.util.find_spec(f"buynest.{info.name}.saga") is not None
    )


def test_the_sagas_are_the_three_owners() -> None:
    assert saga_modules() == list(SAGA_SERVICES)


@pytest.mark.parametrize("service", SAGA_SERVICES)
def test_each_saga_module_has_one_saga_of_the_kit(service: str) -> None:
    module = importlib.import_module(f"buynest.{service}.saga")
    sagas = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and issubclass(cls, Saga)
    ]
    assert len(sagas) == 1, sagas
    assert issubclass(sagas[0].contention, Exception)


def _sagas() -> dict[str, Saga[EventModel]]:
    from buynest.coupons.saga import CouponSaga
    from buynest.products.saga import StockSaga
    from buynest.users.saga import PointsSaga

    publisher = FakePublisher()
    return {
        "coupons": CouponSaga(FakeCouponRepository(), publisher),
        "products": StockSaga(FakeStockLedger(), publisher),
        "users": PointsSaga(FakePointsLedger(), publisher),
    }


@pytest.mark.parametrize(
    ("service", "reader"),
    [("coupons", coupons.ORDER_EVENTS), ("products", products.ORDER_EVENTS), ("users", users.ORDER_EVENTS)],
)
def test_each_saga_routes_every_event_its_consumer_reads(service: str, reader: object) -> None:
    saga = _sagas()[service]
    assert set(saga.routes()) == set(reader.models.values())  # type: ignore[attr-defined]


def test_one_vocabulary_of_hold_states() -> None:
    assert [state.value for state in HoldState] == ["RESERVED", "REJECTED", "COMMITTED", "RELEASED"]


def test_the_points_rules_are_plain_functions_of_the_hold() -> None:
    from buynest.users.domain import HoldKind, PointsHold, PointsMismatch, PointsReason, settle, take_back

    move = settle("o1", "u1", to_use=300, used=200, earned=45)
    assert move is not None and (move.delta, move.from_states, move.to_state) == (
        145,
        (HoldState.RESERVED,),
        HoldState.COMMITTED,
    )
    assert settle("o1", "u1", to_use=0, used=0, earned=0) is None
    with pytest.raises(PointsMismatch):
        settle("o1", "u1", to_use=100, used=200, earned=0)
    committed = PointsHold(HoldKind.EARN, "o1", "u1", HoldState.COMMITTED)
    back = take_back(committed, used=0, earned=70)
    assert back is not None and (back.delta, back.reason) == (-70, PointsReason.ORDER_CANCELLED)  # even below zero
    assert take_back(PointsHold.tombstone(HoldKind.SPEND, "o1", "u1", "t"), used=0, earned=0) is None
