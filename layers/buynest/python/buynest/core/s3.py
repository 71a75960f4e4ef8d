"""The container's S3 client and pre-signed GET links: shared by the images service (which owns the bucket) and
the products views (which show image links) without one service importing the other."""

from __future__ import annotations

from typing import Any

from buynest.core.lazy import Lazy

LINK_TTL_SECONDS = 3600


def _build_s3_client() -> Any:
    """SigV4, as pre-signed POST policies need."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4"))


s3_client = Lazy(_build_s3_client)
set_s3_client = s3_client.set


class S3PresignedLinks:
    """Pre-signed GET URLs for objects of one private bucket (signing is local computation, no request)."""

    def __init__(self, bucket: str, expires_in: int = LINK_TTL_SECONDS) -> None:
        self.bucket = bucket
        self.expires_in = expires_in

    def link(self, key: str) -> str:
        url: str = s3_client().generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.expires_in
        )
        return url
