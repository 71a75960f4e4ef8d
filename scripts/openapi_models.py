"""Response bodies of the public API, as pydantic models, for the OpenAPI document only.

The services build their responses as plain dicts (``public()`` in each ``domain.py``); these models describe those
dicts so that ``scripts/gen_openapi.py`` can write their JSON Schemas, and ``tests/unit/test_openapi.py`` checks real
handler output against what they say. They live here, not in ``buynest.core``, because core must not know the
services. Every model refuses unknown fields (``additionalProperties: false``): a field added to a ``public()`` dict
without being documented here fails the tests instead of going out undocumented. Enumerations come from the domain
modules themselves, so a new status or reason reaches the document by regenerating it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from buynest.coupons.domain import CampaignStatus, CouponStatus
from buynest.orders.domain import FailureReason, FulfillmentStatus, OrderStatus

Timestamp = Annotated[datetime, Field(description="ISO-8601 UTC, second precision, e.g. `2026-11-27T10:00:00Z`.")]
Won = Annotated[int, Field(ge=0, description="An amount of KRW (won); money is never a float.")]
Id = Annotated[str, Field(min_length=1, description="An opaque id chosen by the server (ULID or UUID).")]
Cursor = Annotated[
    str | None,
    Field(description="Pass as `?cursor=` to get the next page; `null` on the last page."),
]
DiscountType = Literal["FIXED", "PERCENT"]
ImageStatus = Literal["PENDING", "READY", "REJECTED"]
Role = Literal["customer", "admin"]


class Body(BaseModel):
    """Base of every documented body: unknown fields are refused; fields go on the wire in camelCase."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, serialize_by_alias=True)


# ---------- errors ----------


class ErrorDetail(Body):
    code: Annotated[
        str,
        Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="Machine-readable, UPPER_SNAKE (e.g. `VALIDATION_ERROR`)."),
    ]
    message: Annotated[str, Field(description="A human sentence; for validation errors it names the field.")]


class Error(Body):
    """Every error, whatever its status."""

    error: ErrorDetail


# ---------- users ----------


class User(Body):
    """A user as the API shows it (never the password hash)."""

    user_id: Id
    email: str
    name: str
    role: Role


class SavedAddress(Body):
    """A customer's delivery address, as saved with `PUT /users/me/address`."""

    recipient: str
    phone: str
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: Annotated[str, Field(pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")]


class Me(User):
    """The caller's own profile, with their points balance (negative when a cancelled order took back points that
    had been spent: nothing can be spent until later orders earn it back) and the saved delivery address."""

    points: int
    address: Annotated[SavedAddress | None, Field(description="`null` until one is saved.")]


class Token(Body):
    """A bearer token for `Authorization: Bearer <token>`."""

    token: Annotated[str, Field(min_length=1)]
    expires_in: Annotated[int, Field(ge=1, description="Seconds until the token expires.")]


# ---------- products and images ----------


class Image(Body):
    """A product image. `url`, `thumbnailUrl`, `width` and `height` are set once it is `READY`."""

    image_id: Id
    status: ImageStatus
    url: str | None
    thumbnail_url: str | None
    width: Annotated[int, Field(ge=1)] | None
    height: Annotated[int, Field(ge=1)] | None


class Product(Body):
    product_id: Id
    name: str
    description: str
    price: Won
    stock: Annotated[int, Field(ge=0, description="What can still be ordered.")]
    category: str
    images: list[Image]
    created_at: Timestamp
    updated_at: Timestamp


class PresignedPost(Body):
    """An S3 pre-signed POST: send a multipart form to `url` with every field of `fields`, then the file."""

    url: str
    fields: dict[str, str]


class UploadTicket(Body):
    """Where and how to upload a new image's bytes; the image shows `PENDING` on its product until checked."""

    image_id: Id
    upload: PresignedPost
    expires_in: Annotated[int, Field(ge=1, description="Seconds the pre-signed POST stays valid.")]


# ---------- coupons ----------


class Coupon(Body):
    """A coupon campaign (admin view), with how many were issued so far."""

    code: str
    discount_type: DiscountType
    value: Annotated[int, Field(ge=1, description="KRW for `FIXED`, 1..100 for `PERCENT`.")]
    total_quantity: Annotated[int, Field(ge=1)]
    issued_count: Annotated[int, Field(ge=0)]
    min_order_amount: Won
    expires_at: Timestamp
    status: CampaignStatus
    created_at: Timestamp


class IssuedCoupon(Body):
    """The coupon a customer just claimed."""

    coupon_id: Id
    code: str
    discount_type: DiscountType
    value: Annotated[int, Field(ge=1)]
    expires_at: Timestamp
    status: Literal["ISSUED"]


class MyCoupon(Body):
    """One of the caller's coupons. Past its expiry an unused coupon shows `EXPIRED`."""

    coupon_id: Id
    code: str
    discount_type: DiscountType
    value: Annotated[int, Field(ge=1)]
    expires_at: Timestamp
    status: CouponStatus
    min_order_amount: Won
    issued_at: Timestamp
    updated_at: Timestamp


# ---------- orders ----------


class OrderLine(Body):
    product_id: Id
    quantity: Annotated[int, Field(ge=1)]
    unit_price: Annotated[Won, Field(description="The product's price when the order was placed.")]
    name: Annotated[str, Field(description="The product's name when the order was placed.")]


class Amounts(Body):
    """`total = subtotal - discount - pointsUsed`; discount and points are settled once the order is `RESERVED`."""

    subtotal: Won
    discount: Won
    points_used: Won
    total: Won


class TimelineEntry(Body):
    status: Annotated[
        OrderStatus | FulfillmentStatus, Field(description="A status the order reached, or `SHIPPED`/`DELIVERED`.")
    ]
    at: Timestamp


class Fulfillment(Body):
    """Shipping: `UNFULFILLED` → `SHIPPED` (carrier, tracking number) → `DELIVERED`, set by admins."""

    status: FulfillmentStatus
    carrier: str | None
    tracking_number: str | None
    shipped_at: Timestamp | None
    delivered_at: Timestamp | None


class Order(Body):
    """An order and its story. `CONFIRMED`, `FAILED` and `CANCELLED` are final."""

    order_id: Id
    user_id: Id
    status: OrderStatus
    failure_reason: Annotated[FailureReason | None, Field(description="Set when `status` is `FAILED`.")]
    items: list[OrderLine]
    amounts: Amounts
    coupon_id: str | None
    points_to_use: Annotated[int, Field(ge=0)]
    points_earned: Annotated[int, Field(ge=0, description="1 % of the total, once `CONFIRMED`.")]
    created_at: Timestamp
    updated_at: Timestamp
    timeline: list[TimelineEntry]
    shipping_address: Annotated[
        SavedAddress | None, Field(description="Given with the order, or the saved address copied onto it.")
    ]
    fulfillment: Fulfillment


# ---------- cart ----------


class CartLine(Body):
    product_id: Id
    name: Annotated[str, Field(description="The product's current name.")]
    unit_price: Annotated[Won, Field(description="The product's current price.")]
    quantity: Annotated[int, Field(ge=1, le=100)]
    line_total: Won
    in_stock: Annotated[bool, Field(description="False while the product's stock is below `quantity`.")]


class Cart(Body):
    """The customer's cart at the catalog's current prices and stock; a deleted product's line is gone."""

    items: Annotated[list[CartLine], Field(max_length=50)]
    subtotal: Won
    updated_at: Annotated[Timestamp | None, Field(description="The last change; `null` for a cart never used.")]


# ---------- admin ----------


class TopProduct(Body):
    product_id: Id
    name: str
    quantity: Annotated[int, Field(ge=1)]


class Stats(Body):
    """Sales since the stack was created: counts of settled orders, revenue of the confirmed ones, best sellers."""

    orders_confirmed: int
    orders_failed: int
    orders_cancelled: int
    revenue: Annotated[int, Field(description="KRW paid for confirmed orders, minus what cancellations refunded.")]
    top_products: list[TopProduct]


class Health(Body):
    status: Literal["ok"]


# ---------- pages ----------


class ProductPage(Body):
    items: list[Product]
    next_cursor: Cursor


class CouponPage(Body):
    items: list[Coupon]
    next_cursor: Cursor


class MyCouponPage(Body):
    items: list[MyCoupon]
    next_cursor: Cursor


class OrderPage(Body):
    items: list[Order]
    next_cursor: Cursor


RESPONSE_MODELS: tuple[type[Body], ...] = (
    Error,
    User,
    Me,
    SavedAddress,
    Token,
    Product,
    ProductPage,
    UploadTicket,
    Coupon,
    CouponPage,
    IssuedCoupon,
    MyCouponPage,
    Order,
    OrderPage,
    Cart,
    Stats,
    Health,
)
