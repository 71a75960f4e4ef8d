"""Keeping the name index in step with the catalog (from the products table's stream), and answering searches
from it. The index is the products service's own read model: only this module and ``search_store`` know it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from buynest.products.search import Indexed, SearchPlan

SEQUENCE_DIGITS = 40


@dataclass(frozen=True)
class IndexState:
    """What the index last filed for a product: the image's version and fingerprint, and the partitions it is
    in. ``deleted`` is the tombstone of a removed product (ids are never reused, so nothing older revives it)."""

    product_id: str
    version: str = ""
    fingerprint: tuple[str, int, str, str] | None = None
    terms: frozenset[str] = field(default_factory=frozenset)
    deleted: bool = False


@dataclass(frozen=True)
class SearchPage:
    """One page of a search: the product ids in order, the cursor of the next page, and the postings read."""

    product_ids: list[str]
    next_cursor: str | None
    reads: int


class Outcome(StrEnum):
    FILED = "filed"
    REMOVED = "removed"
    UNCHANGED = "unchanged"  # a change of fields the index does not hold (stock, images, description)
    STALE = "stale"  # an older image than the one filed, or any image of a removed product
    DUPLICATE = "duplicate"  # this very image is already filed


class SearchIndex(Protocol):
    """Port to the name index. ``file`` writes the postings of ``product`` and drops ``stale`` ones with the new
    state, all conditional on the stored state being no newer and not removed (False when it is); ``remove``
    drops the postings and leaves the tombstone."""

    def state(self, product_id: str) -> IndexState | None: ...
    def file(self, product: Indexed, stale: frozenset[str]) -> bool: ...
    def remove(self, product_id: str, terms: frozenset[str]) -> None: ...
    def search(self, plan: SearchPlan, limit: int, cursor: str | None) -> SearchPage: ...


class NameIndexer:
    """Applies one change of the products table to the index: idempotent (the same record twice files nothing
    twice) and safe out of order (an older image after a newer one, or anything after a delete, changes nothing)."""

    def __init__(self, index: SearchIndex, read_image: Callable[[Mapping[str, Any]], Indexed | None]) -> None:
        self._index = index
        self._read_image = read_image

    def apply_images(
        self,
        product_id: str,
        old_image: Mapping[str, Any] | None,
        new_image: Mapping[str, Any] | None,
        sequence: str | None = None,
    ) -> Outcome:
        """A stream record's images (None when absent: no new image means the product was removed). Items that
        are not products (the stock reservations) read as None on both sides and change nothing. The record's
        ``sequence`` number orders two changes made within the same second (``updatedAt`` has seconds only)."""
        old = self._read_image(old_image) if old_image else None
        new = self._read_image(new_image) if new_image else None
        if new is None and old is None:
            return Outcome.UNCHANGED
        if new is not None:
            new = replace(new, version=f"{new.version}|{(sequence or '').zfill(SEQUENCE_DIGITS)}")
        return self.apply(product_id, old, new)

    def apply(self, product_id: str, old: Indexed | None, new: Indexed | None) -> Outcome:
        """``new`` is None for a removed product; ``old`` is the image before the change, if any."""
        if new is None:
            return self._remove(product_id, old)
        if old is not None and old.fingerprint() == new.fingerprint():
            return Outcome.UNCHANGED
        state = self._index.state(product_id)
        if state is not None:
            if state.deleted or state.version > new.version:
                return Outcome.STALE
            if state.version == new.version and state.fingerprint == new.fingerprint():
                return Outcome.DUPLICATE
        stale = (state.terms if state else frozenset()) - new.terms()
        return Outcome.FILED if self._index.file(new, stale) else Outcome.STALE

    def _remove(self, product_id: str, old: Indexed | None) -> Outcome:
        state = self._index.state(product_id)
        if state is not None and state.deleted:
            return Outcome.DUPLICATE
        terms = (state.terms if state else frozenset()) | (old.terms() if old else frozenset())
        self._index.remove(product_id, terms)
        return Outcome.REMOVED
