"""The products table's read model (``buynest.core.catalog``): what the products service writes reads back as the
cart and orders read it, a saga record is no product, the images service writes only the declared ``images`` map
in the shape products shows, and IAM grants the cart exactly the read model's attributes."""

from __future__ import annotations

from typing import Any

from buynest.core import catalog
from buynest.images.domain import ImageRecord
from buynest.images.store import ProductImagesItem, _entry
from buynest.products.store import ProductItem, StockReservationItem, _to_images
from tests.template import template


def attribute_names(model: Any) -> set[str]:
    return {attribute.attr_name for attribute in model.get_attributes().values()}


def test_a_product_written_by_products_reads_back_in_the_read_model() -> None:
    item = ProductItem(
        productId="P1",
        name="Stoneware Mug",
        price=12_000,
        stock=7,
        category="kitchen",
        sortKey="2026-11-20T16:05:11Z#P1",
        createdAt="2026-11-20T16:05:11Z",
        updatedAt="2026-11-20T16:05:11Z",
    )
    row = item.serialize()
    assert catalog.read_row(row) == catalog.CatalogRow("P1", "Stoneware Mug", 12_000, 7)
    projected = {name: row[name] for name in catalog.attributes() if name in row}
    assert catalog.read_row(projected) == catalog.CatalogRow("P1", "Stoneware Mug", 12_000, None)


def test_every_read_model_attribute_is_one_products_writes() -> None:
    assert set(catalog.attributes(stock=True)) | {catalog.IMAGES} <= attribute_names(ProductItem)
    assert attribute_names(ProductImagesItem) == {catalog.KEY, catalog.IMAGES}


def test_a_stock_hold_sharing_the_table_is_no_product() -> None:
    record = StockReservationItem(
        productId="RESERVATION#o1", orderId="o1", state="RESERVED", createdAt="t", updatedAt="t"
    ).serialize()
    assert catalog.MARKER not in record and catalog.read_row(record) is None


def test_an_image_entry_written_by_images_shows_on_the_product() -> None:
    record = ImageRecord(
        image_id="I1",
        status="READY",
        content_type="image/png",
        content_length=10,
        created_at="t",
        updated_at="t",
        width=1200,
        height=900,
        key="images/P1/I1",
        thumbnail_key="thumbnails/P1/I1",
    )
    entry = _entry(record)
    assert set(catalog.IMAGE_SHOWN) <= entry.keys()
    (image,) = _to_images({"I1": entry})
    assert (image.image_id, image.status, image.width, image.height) == ("I1", "READY", 1200, 900)
    assert (image.key, image.thumbnail_key) == ("images/P1/I1", "thumbnails/P1/I1")


def test_iam_grants_the_cart_exactly_the_read_model() -> None:
    policy = template()["Resources"]["CartCatalogReadPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    granted = policy["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
    assert sorted(granted) == sorted(catalog.attributes(stock=True))


def test_a_batch_asks_by_key_consistently_for_the_read_model_only() -> None:
    request = catalog.batch_get("products", ["P1", "P2"])["products"]
    assert request["Keys"] == [{"productId": {"S": "P1"}}, {"productId": {"S": "P2"}}]
    assert request["ConsistentRead"] is True
    names = request["ExpressionAttributeNames"]
    asked = [names[part.strip()] for part in request["ProjectionExpression"].split(",")]
    assert asked == ["productId", "name", "price", "catalog"]
