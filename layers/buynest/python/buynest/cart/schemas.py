"""Request bodies of the cart API (strict: wrong types and unknown fields are refused, every message names the
field)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from buynest.cart.domain import MAX_QUANTITY


class SetQuantity(BaseModel):
    """``PUT /cart/items/{productId}``: the line's new quantity."""

    model_config = ConfigDict(extra="forbid", strict=True)

    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
