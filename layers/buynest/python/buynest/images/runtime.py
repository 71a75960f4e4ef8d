"""Builds the images service and processor from the environment, once per container (tests may install their own).
Pillow is imported only when the processor is built: the API functions do not ship it."""

from __future__ import annotations

from dataclasses import dataclass

from buynest.core.config import ConfigError, env_int, env_str
from buynest.core.lazy import Lazy
from buynest.images.domain import UPLOAD_TTL_SECONDS
from buynest.images.service import ImageProcessor, ImageService


@dataclass(frozen=True)
class ImagesSettings:
    products_table: str
    images_bucket: str
    upload_ttl_seconds: int = UPLOAD_TTL_SECONDS

    @classmethod
    def from_env(cls) -> ImagesSettings:
        settings = cls(
            products_table=env_str("PRODUCTS_TABLE"),
            images_bucket=env_str("IMAGES_BUCKET"),
            upload_ttl_seconds=env_int("IMAGE_UPLOAD_TTL_SECONDS", UPLOAD_TTL_SECONDS),
        )
        if not 1 <= settings.upload_ttl_seconds <= 3600:
            raise ConfigError("IMAGE_UPLOAD_TTL_SECONDS must be between 1 and 3600")
        return settings


@dataclass(frozen=True)
class ImagesEventSettings:
    event_bus_name: str

    @classmethod
    def from_env(cls) -> ImagesEventSettings:
        return cls(event_bus_name=env_str("EVENT_BUS_NAME"))


def _build_image_service() -> ImageService:
    from buynest.core.settings import IMAGES_PER_PRODUCT, setting
    from buynest.images.storage import S3ImageStorage
    from buynest.images.store import DynamoImageRepository

    settings = ImagesSettings.from_env()
    return ImageService(
        DynamoImageRepository(settings.products_table),
        S3ImageStorage(settings.images_bucket),
        upload_ttl_seconds=settings.upload_ttl_seconds,
        max_images=setting(IMAGES_PER_PRODUCT),  # a live setting, read at each upload request
    )


def _build_image_processor() -> ImageProcessor:
    from buynest.core.events import EventBridgePublisher
    from buynest.images.imaging import PillowInspector
    from buynest.images.storage import S3ImageStorage
    from buynest.images.store import DynamoImageRepository

    settings = ImagesSettings.from_env()
    return ImageProcessor(
        DynamoImageRepository(settings.products_table),
        S3ImageStorage(settings.images_bucket),
        PillowInspector(),
        EventBridgePublisher(ImagesEventSettings.from_env().event_bus_name),
    )


image_service = Lazy(_build_image_service)
set_image_service = image_service.set
image_processor = Lazy(_build_image_processor)
set_image_processor = image_processor.set
