"""Request bodies of the images API (strict: wrong types and unknown fields are refused, and every message names
the field)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel


class RequestUpload(BaseModel):
    """``POST /products/{productId}/images``: what the admin is about to upload. Only shapes here; which types and
    sizes are accepted (``UNSUPPORTED_MEDIA_TYPE`` / ``TOO_LARGE``) is the domain's rule."""

    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel)

    content_type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    content_length: Annotated[int, Field(ge=1)]
