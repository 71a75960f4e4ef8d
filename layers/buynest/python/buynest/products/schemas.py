"""Request bodies and queries of the products API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from buynest.core.pagination import PageQuery
from buynest.products.domain import MAX_PRICE, MAX_STOCK

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=5000)]
Category = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=50, pattern=r"^[a-z0-9][a-z0-9 _-]*$"
    ),
]
Price = Annotated[int, Field(ge=0, le=MAX_PRICE)]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK)]


class CreateProduct(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name
    description: Description = ""
    price: Price
    stock: Stock
    category: Category


class UpdateProduct(BaseModel):
    """Any subset of the create fields; ``null`` is not a value for any of them."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name | None = None
    description: Description | None = None
    price: Price | None = None
    stock: Stock | None = None
    category: Category | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> UpdateProduct:
        if not self.model_fields_set:
            raise ValueError("send at least one of name, description, price, stock, category")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: must not be null")
        return self

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class ListProductsQuery(PageQuery):
    category: Category | None = None
    q: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    sort: Literal["newest", "price_asc", "price_desc"] = "newest"
