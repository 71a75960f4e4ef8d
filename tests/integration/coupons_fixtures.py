"""Integration set-up for the coupons service on top of the ``aws`` fixture: the coupons table built from its
definition in template.yaml, a fake publisher for the
saga, and moto's DynamoDB made safe for concurrent callers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto.dynamodb.responses import DynamoHandler

from buynest.core.auth import TokenService, token_service
from buynest.core.events import set_events_client
from buynest.coupons.runtime import set_coupon_saga, set_coupon_service
from buynest.coupons.saga import CouponSaga
from buynest.coupons.store import DynamoCouponRepository
from tests.template import template
from tests.unit.coupon_fakes import FakePublisher

TABLE = "CouponsTable"


def table_resource(logical_id: str = TABLE) -> dict[str, Any]:
    """The table's definition in template.yaml."""
    resource: dict[str, Any] = template()["Resources"][logical_id]
    return resource


def create_table_args(logical_id: str, table_name: str) -> dict[str, Any]:
    """boto3 ``create_table`` arguments for the table, local indexes included."""
    props = dict(table_resource(logical_id)["Properties"])
    args: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in props:
            args[key] = props[key]
    return args


def serialize_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run moto's DynamoDB requests one at a time. Moto's backend is not thread-safe (a cancelled transaction
    restores a copy of the table, losing concurrent writes); DynamoDB itself applies each request atomically, so
    this makes moto behave like the service for threaded tests, as the LocalStack plugin does with its lock."""
    lock = threading.RLock()
    original = DynamoHandler.call_action

    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action)


@dataclass
class CouponsEnv:
    table: str
    ddb: Any
    publisher: FakePublisher
    repo: DynamoCouponRepository
    tokens: TokenService

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        got = self.ddb.get_item(TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
        item: dict[str, Any] | None = got.get("Item")
        return item


def coupons_env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[CouponsEnv]:
    """Body of a fixture: yields the coupons environment and resets the runtime afterwards."""
    name = "it-coupons"
    ddb = aws["ddb"]
    ddb.create_table(**create_table_args(TABLE, name))
    ttl = table_resource()["Properties"].get("TimeToLiveSpecification")
    if ttl:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    monkeypatch.setenv("COUPONS_TABLE", name)
    monkeypatch.setenv("EVENT_BUS_NAME", "buynest")
    serialize_dynamodb(monkeypatch)
    publisher = FakePublisher()
    repo = DynamoCouponRepository(name)
    set_coupon_service(None)
    set_coupon_saga(CouponSaga(repo, publisher))
    set_events_client(None)
    yield CouponsEnv(table=name, ddb=ddb, publisher=publisher, repo=repo, tokens=token_service())
    set_coupon_saga(None)
    set_coupon_service(None)
    set_events_client(None)
