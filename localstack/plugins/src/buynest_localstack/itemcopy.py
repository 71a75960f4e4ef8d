"""Fast deep copies of moto's DynamoDB items.

Moto deep-copies the item of every ``UpdateItem`` (to answer ``ReturnValues`` and to write the stream record). The
generic ``copy.deepcopy`` of an item is slow for two reasons: ``LimitedSizeDict`` (an item's attributes) re-sums the
size of every attribute already copied on each assignment (quadratic in the number of attributes), and every
``DynamoType`` node goes through ``__reduce_ex__``. Under the saga's load that was the largest single cost of the
local stack (about a fifth of LocalStack's CPU). The copies made here are the same values, built directly: the
source item already passed moto's size check, so the copy does not need to repeat it.

Only this provider's process is affected (LocalStack's DynamoDB is served by moto through this plugin)."""

from __future__ import annotations

import copy
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

_IMMUTABLE = (str, bytes, int, float, bool, type(None))


def _copy_value(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind is DynamoType:
        return copy_dynamo_type(value, memo)
    if kind is list:
        return [_copy_value(v, memo) for v in value]
    if kind is dict:
        return {k: _copy_value(v, memo) for k, v in value.items()}
    if isinstance(value, _IMMUTABLE):
        return value
    return copy.deepcopy(value, memo)


def copy_dynamo_type(self: DynamoType, memo: dict[int, Any]) -> DynamoType:
    clone = DynamoType.__new__(DynamoType)
    clone.__dict__.update({k: _copy_value(v, memo) for k, v in self.__dict__.items()})
    return clone


def copy_limited_size_dict(self: LimitedSizeDict, memo: dict[int, Any]) -> LimitedSizeDict:
    clone = LimitedSizeDict.__new__(LimitedSizeDict)
    clone.__dict__.update(self.__dict__)
    dict.update(clone, ((k, _copy_value(v, memo)) for k, v in self.items()))
    return clone


def install() -> None:
    """Makes ``copy.deepcopy`` of moto items use the direct copies above."""
    DynamoType.__deepcopy__ = copy_dynamo_type  # type: ignore[attr-defined]
    LimitedSizeDict.__deepcopy__ = copy_limited_size_dict  # type: ignore[attr-defined]
