"""DynamoDB and DynamoDB Streams for LocalStack, served by moto instead of DynamoDB Local (Java).

Both providers hand every operation to moto through LocalStack's ``MotoFallbackDispatcher`` and
correct the few places where moto's behaviour would differ from AWS in a way our application notices:

* Moto's backends are not thread-safe and LocalStack serves requests on many threads, so every
  DynamoDB and DynamoDB Streams operation runs under one lock: a transaction is atomic with respect to
  concurrent writes and stream reads.
* Moto's ``TransactWriteItems`` deep-copies every table it touches (slow for big tables) and, when cancelled,
  swaps each table for that copy, so stream readers holding the old table's shard would keep the records of
  rolled-back writes and miss later ones. :mod:`buynest_localstack.transactions` replaces it: conditions are
  checked before anything is written, and a write that fails after that restores just the items it touched.
* Moto never deletes items whose TTL has passed. An expiry sweep deletes them (``REMOVE`` stream records
  with the ``userIdentity`` of the DynamoDB service, as on AWS), periodically when
  ``DYNAMODB_REMOVE_EXPIRED_ITEMS=1`` and on demand through ``DELETE /_aws/dynamodb/expired``, the
  endpoint LocalStack's own DynamoDB provider offers.
* Moto keeps every shard iterator it ever issued. Iterators unused for 15 minutes are forgotten
  (``ExpiredIteratorException`` afterwards, as on AWS), and a ``GetRecords`` call that returns no
  records returns the iterator it was given, which still points at the same position.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

from localstack.aws.api import RequestContext, ServiceRequest, ServiceResponse
from localstack.aws.api.dynamodb import (
    DynamodbApi,
)
from localstack.aws.api.dynamodbstreams import (
    DynamodbstreamsApi,
    ExpiredIteratorException,
    GetRecordsOutput,
    GetShardIteratorOutput,
    PositiveIntegerObject,
    SequenceNumber,
    ShardId,
    ShardIterator,
    ShardIteratorType,
    StreamArn,
)
from localstack.aws.skeleton import DispatchTable
from localstack.config import DYNAMODB_REMOVE_EXPIRED_ITEMS
from localstack.http import Request, route
from localstack.services.edge import ROUTER
from localstack.services.moto import MotoFallbackDispatcher, call_moto
from localstack.services.plugins import ServiceLifecycleHook
from localstack.state import StateVisitor
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, dynamodbstreams_backends

LOG = logging.getLogger(__name__)

TTL_SWEEP_INTERVAL_ENV = "BUYNEST_DYNAMODB_TTL_SWEEP_SEC"
SHARD_ITERATOR_LIFETIME_SECONDS = 15 * 60
_TTL_MAX_AGE_SECONDS = 5 * 365 * 24 * 3600
_TTL_DELETE_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}

MOTO_LOCK = threading.RLock()
"""Serialises every call into moto's DynamoDB and DynamoDB Streams backends."""


def _share_shard_on_deepcopy(self: StreamShard, memo: dict[int, Any]) -> StreamShard:
    """Moto deep-copies every table a transaction touches, for its rollback; the copy of a table's stream
    history would only be thrown away (the provider keeps the original shard), so it is shared instead."""
    return self


StreamShard.__deepcopy__ = _share_shard_on_deepcopy  # type: ignore[attr-defined]


def locked_moto_dispatcher(provider: object) -> DispatchTable:
    """``MotoFallbackDispatcher`` whose every operation holds :data:`MOTO_LOCK`."""
    table = MotoFallbackDispatcher(provider)
    return {operation: _locked(fn) for operation, fn in table.items()}


def _locked(fn: Callable[[RequestContext, ServiceRequest], ServiceResponse]) -> Callable[..., ServiceResponse]:
    def call(context: RequestContext, request: ServiceRequest) -> ServiceResponse:
        with MOTO_LOCK:
            return fn(context, request)

    return call


def delete_expired_items(now: float | None = None) -> int:
    """Deletes every item whose TTL attribute lies in the past (but less than five years ago)."""
    now = time.time() if now is None else now
    deleted = 0
    with MOTO_LOCK:
        for regions in list(dynamodb_backends.values()):
            for backend in list(regions.values()):
                for table in list(backend.tables.values()):
                    deleted += _delete_expired_from(table, now)
    return deleted


def _delete_expired_from(table: Table, now: float) -> int:
    if table.ttl.get("TimeToLiveStatus") != "ENABLED":
        return 0
    attribute = table.ttl.get("AttributeName")
    if not attribute:
        return 0
    deleted = 0
    for item in table.all_items():
        value = item.attrs.get(attribute)
        if value is None or value.type != "N":
            continue
        try:
            expires_at = float(value.value)
        except ValueError:
            continue
        if not now - _TTL_MAX_AGE_SECONDS <= expires_at <= now:
            continue
        table.delete_item(item.hash_key, item.range_key)
        if table.stream_shard is not None and table.stream_shard.items:
            table.stream_shard.items[-1].record["userIdentity"] = dict(_TTL_DELETE_IDENTITY)
        deleted += 1
    return deleted


class _ExpiredItemsSweeper:
    """Background thread calling :func:`delete_expired_items` every ``interval`` seconds."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="buynest-ddb-ttl-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if deleted := delete_expired_items():
                    LOG.debug("TTL sweep deleted %d expired items", deleted)
            except Exception:
                LOG.exception("TTL sweep failed")


class _ExpiredItemsEndpoint:
    """``DELETE /_aws/dynamodb/expired``: deletes expired items now and returns how many."""

    @route("/_aws/dynamodb/expired", methods=["DELETE"])
    def delete_expired(self, _request: Request) -> dict[str, int]:
        return {"ExpiredItems": delete_expired_items()}


class MotoDynamoDBProvider(DynamodbApi, ServiceLifecycleHook):
    """DynamoDB provider that forwards to moto, with atomic transactions, fast item copies and TTL expiry."""

    def __init__(self) -> None:
        from buynest_localstack import itemcopy, transactions

        transactions.install()
        itemcopy.install()
        self._sweeper: _ExpiredItemsSweeper | None = None
        self._routes: list[Any] = []

    def on_before_start(self) -> None:
        self._routes = ROUTER.add(_ExpiredItemsEndpoint())
        if DYNAMODB_REMOVE_EXPIRED_ITEMS:
            interval = float(os.environ.get(TTL_SWEEP_INTERVAL_ENV) or 60)
            self._sweeper = _ExpiredItemsSweeper(interval)
            self._sweeper.start()

    def on_before_stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.stop()
        ROUTER.remove(self._routes)

    def accept_state_visitor(self, visitor: StateVisitor) -> None:
        visitor.visit(dynamodb_backends)


class _IssuedIterators:
    """Shard iterators in use, least recently used first, so that idle ones can be forgotten."""

    def __init__(self) -> None:
        self._last_used: OrderedDict[str, tuple[float, DynamoDBStreamsBackend]] = OrderedDict()

    def touch(self, backend: DynamoDBStreamsBackend, iterator: str) -> None:
        self._last_used[iterator] = (time.monotonic(), backend)
        self._last_used.move_to_end(iterator)
        self._forget_idle()

    def _forget_idle(self) -> None:
        limit = time.monotonic() - SHARD_ITERATOR_LIFETIME_SECONDS
        while self._last_used:
            iterator, (used_at, backend) = next(iter(self._last_used.items()))
            if used_at > limit:
                return
            del self._last_used[iterator]
            backend.shard_iterators.pop(iterator, None)


class MotoDynamoDBStreamsProvider(DynamodbstreamsApi, ServiceLifecycleHook):
    """DynamoDB Streams provider that forwards to moto, reading the tables of :class:`MotoDynamoDBProvider`."""

    def __init__(self) -> None:
        self._iterators = _IssuedIterators()

    def accept_state_visitor(self, visitor: StateVisitor) -> None:
        visitor.visit(dynamodbstreams_backends)

    def get_shard_iterator(
        self,
        context: RequestContext,
        stream_arn: StreamArn,
        shard_id: ShardId,
        shard_iterator_type: ShardIteratorType,
        sequence_number: SequenceNumber | None = None,
        **kwargs: Any,
    ) -> GetShardIteratorOutput:
        response = cast(GetShardIteratorOutput, call_moto(context))
        backend = dynamodbstreams_backends[context.account_id][context.region]
        if iterator := response.get("ShardIterator"):
            self._iterators.touch(backend, iterator)
        return response

    def get_records(
        self,
        context: RequestContext,
        shard_iterator: ShardIterator,
        limit: PositiveIntegerObject | None = None,
        **kwargs: Any,
    ) -> GetRecordsOutput:
        backend = dynamodbstreams_backends[context.account_id][context.region]
        position = backend.shard_iterators.get(shard_iterator)
        if position is None:
            raise ExpiredIteratorException("Iterator expired. The iterator was created more than 15 minutes ago.")
        shard = position.stream_shard
        if position.sequence_number >= shard.starting_sequence_number + len(shard.items):
            self._iterators.touch(backend, shard_iterator)
            return GetRecordsOutput(Records=[], NextShardIterator=shard_iterator)
        response = cast(GetRecordsOutput, call_moto(context))
        next_iterator = response.get("NextShardIterator")
        records = response.get("Records") or []
        if not records and next_iterator and next_iterator != shard_iterator:
            backend.shard_iterators.pop(next_iterator, None)
            response["NextShardIterator"] = next_iterator = shard_iterator
        if next_iterator:
            self._iterators.touch(backend, next_iterator)
        for record in records:
            record["awsRegion"] = context.region
            record["eventVersion"] = "1.1"
        return response


def pass_user_identity_to_lambda() -> None:
    """Makes LocalStack's DynamoDB stream poller keep each record's ``userIdentity`` in Lambda events.

    AWS puts it there (``{"type": "Service", "principalId": "dynamodb.amazonaws.com"}`` for TTL deletions),
    and event filters and handlers use it to tell TTL expiry from application deletes.
    """
    from localstack.services.lambda_.event_source_mapping.pollers.dynamodb_poller import DynamoDBPoller
    from localstack.utils.patch import patch

    if getattr(DynamoDBPoller.transform_into_events, "_buynest_user_identity", False):
        return

    @patch(DynamoDBPoller.transform_into_events)  # type: ignore[untyped-decorator, no-untyped-call]
    def transform_into_events(
        fn: Callable[..., list[dict[str, Any]]], self: DynamoDBPoller, records: list[dict[str, Any]], shard_id: str
    ) -> list[dict[str, Any]]:
        events = fn(self, records, shard_id)
        for event, record in zip(events, records, strict=True):
            if identity := record.get("userIdentity"):
                event["userIdentity"] = {"type": identity.get("Type"), "principalId": identity.get("PrincipalId")}
        return events

    DynamoDBPoller.transform_into_events._buynest_user_identity = True  # type: ignore[attr-defined]
