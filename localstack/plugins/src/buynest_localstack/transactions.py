"""``TransactWriteItems`` for moto without copying tables.

Moto deep-copies every table a transaction touches before running it, so that it can roll back; the cost grows
with the table, under the one lock every DynamoDB call takes. With tables that keep a record per order that
made each stock reservation and coupon issue take longer as the shop grew. This version checks every condition
first (nothing is written if one fails, so nothing needs rolling back) and, for the rare write that fails after
its checks passed (a malformed update expression), restores just the items it touched and drops their stream
records. The semantics are moto's: the same checks, errors and cancellation reasons."""

from __future__ import annotations

import copy
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend

OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
NO_ERROR: tuple[None, None, None] = (None, None, None)


def _key(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _check(backend: DynamoDBBackend, op: dict[str, Any], key: dict[str, Any]) -> tuple[Any, Any, Any]:
    condition = op.get("ConditionExpression")
    if condition is None:
        return NO_ERROR
    current = backend.get_item(op["TableName"], key)
    expression = get_filter_expression(
        condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    )
    if expression.expr(current):
        return NO_ERROR
    old = None
    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
        old = current.to_json()["Attributes"]
    return ("ConditionalCheckFailed", ConditionalCheckFailed(item=old).message, old)


def _apply(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(op["TableName"], op["Item"], expression_attribute_names=names,
                         expression_attribute_values=values)  # fmt: skip
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values)
    elif op_type == "Update":
        backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                            expression_attribute_names=names, expression_attribute_values=values)  # fmt: skip


def _restore(backend: DynamoDBBackend, saved: list[tuple[str, dict[str, Any], Any]], streams: dict[str, int]) -> None:
    for table_name, key, old in saved:
        table = backend.get_table(table_name)
        if old is None:
            if backend.get_item(table_name, key) is not None:
                backend.delete_item(table_name, key)
        else:
            table.put_item(old.to_json()["Attributes"])
    for table_name, length in streams.items():
        shard = backend.get_table(table_name).stream_shard
        if shard is not None:
            del shard.items[length:]


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """Drop-in for ``DynamoDBBackend.transact_write_items`` (called under the provider's lock)."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    planned: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    errors: list[tuple[Any, Any, Any]] = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in OPERATIONS:
            raise ValueError("Unsupported transaction operation")
        key = _key(self, op_type, op)
        target = (str(op["TableName"]), str(key))
        if target in seen:
            raise MultipleTransactionsException()
        seen.add(target)
        errors.append(_check(self, op, key))
        planned.append((op_type, op, key))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    writes = [(op_type, op, key) for op_type, op, key in planned if op_type != "ConditionCheck"]
    saved = [(op["TableName"], key, copy.deepcopy(self.get_item(op["TableName"], key))) for _, op, key in writes]
    streams = {}
    for _, op, _ in writes:
        shard = self.get_table(op["TableName"]).stream_shard
        if shard is not None:
            streams.setdefault(op["TableName"], len(shard.items))
    for op_type, op, key in writes:
        try:
            _apply(self, op_type, op, key)
        except MockValidationException:
            _restore(self, saved, streams)
            raise
        except Exception as exc:
            _restore(self, saved, streams)
            failed = [NO_ERROR] * len(planned)
            failed[planned.index((op_type, op, key))] = (type(exc).__name__, str(exc), None)
            raise TransactionCanceledException(failed) from exc


def install() -> None:
    """Replaces moto's implementation for every DynamoDB backend."""
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
