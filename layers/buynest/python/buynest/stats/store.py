"""The stats table: one ``TOTALS`` item, one ``PRODUCT#<id>`` item per product sold (in the sparse ``top`` index
by quantity), and an ``APPLIED#<orderId>#<event>`` marker per counted event, written in the same transaction as
the counters so a redelivered event is never counted twice."""

from __future__ import annotations

from typing import Any

from buynest.core.dynamo import CONDITION_FAILED
from buynest.core.lazy import lazy_client
from buynest.stats.messages import OrderSettled

TOTALS = "TOTALS"
TOP = "TOP"


class DynamoStatsStore:
    """Counters on DynamoDB with plain boto3 (numeric ADDs in one TransactWriteItems)."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb")
        self._client.set(client)

    @property
    def client(self) -> Any:
        return self._client()

    def apply(self, kind: str, order: OrderSettled) -> bool:
        """Count one settled order once; False when this event was counted before."""
        sign = -1 if kind == "OrderCancelled" else 1
        totals: dict[str, int] = {
            "OrderConfirmed": {"ordersConfirmed": 1, "revenue": order.total},
            "OrderFailed": {"ordersFailed": 1},
            "OrderCancelled": {"ordersCancelled": 1, "ordersConfirmed": -1, "revenue": -order.total},
        }[kind]
        names = {f"#a{i}": name for i, name in enumerate(totals)}
        values = {f":v{i}": {"N": str(v)} for i, v in enumerate(totals.values())}
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": {"pk": {"S": f"APPLIED#{order.order_id}#{kind}"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": self._table, "Key": {"pk": {"S": TOTALS}},
                        "UpdateExpression": "ADD " + ", ".join(f"#a{i} :v{i}" for i in range(len(totals))),
                        "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}},
        ]  # fmt: skip
        if kind != "OrderFailed":
            quantities: dict[str, tuple[int, str]] = {}
            for line in order.items:
                q, name = quantities.get(line.product_id, (0, line.name))
                quantities[line.product_id] = (q + line.quantity, name or line.name)
            for product_id, (quantity, name) in quantities.items():
                items.append({"Update": {
                    "TableName": self._table, "Key": {"pk": {"S": f"PRODUCT#{product_id}"}},
                    "UpdateExpression": "ADD quantity :q SET productId = :p, topPk = :top, #n = :n",
                    "ExpressionAttributeNames": {"#n": "name"},
                    "ExpressionAttributeValues": {":q": {"N": str(sign * quantity)}, ":p": {"S": product_id},
                                                  ":top": {"S": TOP}, ":n": {"S": name}},
                }})  # fmt: skip
        try:
            self.client.transact_write_items(TransactItems=items)
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == CONDITION_FAILED:
                return False
            raise
        return True

    def read(self, top: int = 10) -> dict[str, Any]:
        totals = self.client.get_item(TableName=self._table, Key={"pk": {"S": TOTALS}}, ConsistentRead=True)
        item = totals.get("Item", {})

        def number(name: str) -> int:
            return int(item.get(name, {}).get("N", "0"))

        rows = self.client.query(
            TableName=self._table, IndexName="top", KeyConditionExpression="topPk = :t",
            ExpressionAttributeValues={":t": {"S": TOP}}, ScanIndexForward=False, Limit=top * 2,
        )["Items"]  # fmt: skip
        products = [
            {
                "productId": r["productId"]["S"],
                "name": r.get("name", {}).get("S", ""),
                "quantity": int(r["quantity"]["N"]),
            }
            for r in rows
        ]
        return {
            "ordersConfirmed": number("ordersConfirmed"),
            "ordersFailed": number("ordersFailed"),
            "ordersCancelled": number("ordersCancelled"),
            "revenue": number("revenue"),
            "topProducts": [p for p in products if p["quantity"] > 0][:top],
        }
