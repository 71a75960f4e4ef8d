"""Builds the cart service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

from buynest.cart.service import CartService
from buynest.core.config import env_str
from buynest.core.lazy import Lazy


def _build_service() -> CartService:
    from buynest.cart.store import DynamoCartRepository, DynamoCatalogView
    from buynest.core.settings import CART_LINE_LIMIT, setting

    return CartService(
        DynamoCartRepository(env_str("CARTS_TABLE")),
        DynamoCatalogView(env_str("PRODUCTS_TABLE")),
        max_lines=setting(CART_LINE_LIMIT),  # a live setting, read when a line is added
    )


cart_service = Lazy(_build_service)
set_cart_service = cart_service.set
