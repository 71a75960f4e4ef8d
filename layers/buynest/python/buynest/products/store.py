"""The products table (pynamodb). Two sparse-free GSIs serve the catalog lists, newest first:
``byCreated`` (constant partition ``catalog``) and ``byCategory`` (partition = category)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.products.domain import Product, ProductNotFound

CATALOG = "catalog"


class ByCreated(GlobalSecondaryIndex["ProductItem"]):
    class Meta:
        index_name = "byCreated"
        projection = AllProjection()

    catalog = UnicodeAttribute(hash_key=True)
    sortKey = UnicodeAttribute(range_key=True)


class ByCategory(GlobalSecondaryIndex["ProductItem"]):
    class Meta:
        index_name = "byCategory"
        projection = AllProjection()

    category = UnicodeAttribute(hash_key=True)
    sortKey = UnicodeAttribute(range_key=True)


class ProductItem(Model):
    class Meta:
        table_name = "products"

    productId = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    price = NumberAttribute()
    stock = NumberAttribute()
    category = UnicodeAttribute()
    catalog = UnicodeAttribute(default=CATALOG)
    sortKey = UnicodeAttribute()
    images = ListAttribute(of=MapAttribute, default=list)
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()

    by_created = ByCreated()
    by_category = ByCategory()


_LIST_KEYS = {
    None: frozenset({"productId", "catalog", "sortKey"}),
    "category": frozenset({"productId", "category", "sortKey"}),
}


def _to_product(item: ProductItem) -> Product:
    return Product(
        product_id=item.productId,
        name=item.name,
        description=item.description or "",
        price=int(item.price),
        stock=int(item.stock),
        category=item.category,
        created_at=item.createdAt,
        updated_at=item.updatedAt,
        images=[dict(i.as_dict()) if hasattr(i, "as_dict") else dict(i) for i in (item.images or [])],
    )


class DynamoProductRepository:
    """ProductRepository on DynamoDB; writes to a missing product fail on a condition, not on a prior read."""

    def __init__(self, table_name: str) -> None:
        ProductItem.Meta.table_name = table_name

    def put(self, product: Product) -> None:
        ProductItem(
            productId=product.product_id,
            name=product.name,
            description=product.description,
            price=product.price,
            stock=product.stock,
            category=product.category,
            catalog=CATALOG,
            sortKey=f"{product.created_at}#{product.product_id}",
            images=[],
            createdAt=product.created_at,
            updatedAt=product.updated_at,
        ).save(condition=ProductItem.productId.does_not_exist())

    def get(self, product_id: str) -> Product | None:
        try:
            return _to_product(ProductItem.get(product_id, consistent_read=True))
        except DoesNotExist:
            return None

    def update(self, product_id: str, changes: dict[str, Any], updated_at: str) -> Product:
        item = ProductItem(productId=product_id)
        actions = [getattr(ProductItem, name).set(value) for name, value in changes.items()]
        actions.append(ProductItem.updatedAt.set(updated_at))
        try:
            item.update(actions=actions, condition=ProductItem.productId.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ProductNotFound(f"product {product_id} does not exist") from exc
            raise
        return _to_product(item)

    def delete(self, product_id: str) -> None:
        try:
            ProductItem(productId=product_id).delete(condition=ProductItem.productId.exists())
        except DeleteError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ProductNotFound(f"product {product_id} does not exist") from exc
            raise

    def list(self, category: str | None, limit: int, cursor: str | None) -> tuple[list[Product], str | None]:
        if category is None:
            start = decode_cursor(cursor, _LIST_KEYS[None])
            results = ProductItem.by_created.query(
                CATALOG, scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        else:
            start = decode_cursor(cursor, _LIST_KEYS["category"])
            results = ProductItem.by_category.query(
                category, scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        items = [_to_product(i) for i in results]
        return items, encode_cursor(results.last_evaluated_key)
