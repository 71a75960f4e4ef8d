"""Request bodies, queries and path parameters of the coupons API (strict: wrong types and unknown fields are
refused, and every message names the field)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from buynest.core.pagination import PageQuery
from buynest.coupons.domain import MAX_AMOUNT, MAX_TOTAL_QUANTITY, CouponNotFound, normalize_code

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver


def _code(value: str) -> str:
    code = normalize_code(value)
    if code is None:
        raise PydanticCustomError("coupon_code", "must be 3 to 32 characters of A-Z, 0-9, '_' or '-'")
    return code


Code = Annotated[str, StringConstraints(max_length=64), AfterValidator(_code)]


class CreateCoupon(BaseModel):
    """``POST /coupons``. The code is stored upper-case; ``minOrderAmount`` defaults to 0 (no minimum)."""

    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel)

    code: Code
    discount_type: Literal["FIXED", "PERCENT"]
    value: Annotated[int, Field(ge=1, le=MAX_AMOUNT)]
    total_quantity: Annotated[int, Field(ge=1, le=MAX_TOTAL_QUANTITY)]
    expires_at: AwareDatetime
    min_order_amount: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] = 0

    def expires_epoch(self) -> int:
        return int(self.expires_at.timestamp())


class ListCouponsQuery(PageQuery):
    pass


class ListMyCouponsQuery(PageQuery):
    pass


def code_from_path(app: APIGatewayRestResolver) -> str:
    """The ``{code}`` path parameter in canonical form; anything that cannot be a code is a 404 (never reaches the
    database)."""
    raw = (app.current_event.path_parameters or {}).get("code") or ""
    code = normalize_code(raw) if len(raw) <= 64 else None
    if code is None:
        raise CouponNotFound(f"coupon {raw[:64]!r} does not exist")
    return code
