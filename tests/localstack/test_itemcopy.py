"""The provider's fast deep copy of moto items gives equal, independent copies (dev venv's moto, no LocalStack)."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "localstack" / "plugins" / "src"))

from buynest_localstack import itemcopy


@pytest.fixture
def installed() -> Iterator[None]:
    before = {cls: cls.__dict__.get("__deepcopy__") for cls in (DynamoType, LimitedSizeDict)}
    itemcopy.install()
    yield
    for cls, method in before.items():
        if method is None:
            delattr(cls, "__deepcopy__")
        else:
            setattr(cls, "__deepcopy__", method)  # noqa: B010


def order_item() -> Item:
    return Item(
        DynamoType({"S": "o1"}),
        None,
        {
            "orderId": {"S": "o1"},
            "total": {"N": "12345"},
            "token": {"B": b"\x00\x01"},
            "paid": {"BOOL": True},
            "gone": {"NULL": True},
            "tags": {"SS": ["a", "b"]},
            "lines": {"L": [{"M": {"productId": {"S": "P1"}, "quantity": {"N": "2"}}}]},
            "holds": {"M": {"STOCK": {"S": "OK"}, "COUPON": {"S": "NONE"}}},
            "timeline": {"L": [{"M": {"status": {"S": "PENDING"}, "at": {"S": "2026-11-27T10:00:00Z"}}}]},
        },
    )


def test_a_copy_is_equal_and_shares_nothing_mutable(installed: None) -> None:
    item = order_item()
    clone = copy.deepcopy(item)
    assert clone == item and clone.to_json() == item.to_json()
    assert type(clone.attrs) is LimitedSizeDict and clone.attrs is not item.attrs

    clone.attrs["timeline"].value[0].value["status"].value = "PAID"
    clone.attrs["lines"].value.append(DynamoType({"M": {}}))
    clone.attrs["holds"].value["STOCK"] = DynamoType({"S": "REJECTED"})
    assert item.to_json() == order_item().to_json()


def test_the_copy_still_checks_the_size_of_what_is_written_later(installed: None) -> None:
    clone = copy.deepcopy(order_item())
    with pytest.raises(Exception, match=r"(?i)size"):
        clone.attrs["huge"] = DynamoType({"S": "x" * 500_000})
