"""The images bucket (S3). The bucket is private: browsers upload with pre-signed POSTs and load images through
pre-signed GETs, both signed here from the function's own credentials (a local computation, no request)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import batched
from typing import Any

from buynest.core.s3 import s3_client
from buynest.images.domain import StoredObject

MAX_KEYS_PER_DELETE = 1000


class S3ImageStorage:
    """ObjectStorage on one S3 bucket. The client is created on first use and kept for the container's life."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def presign_upload(self, key: str, content_type: str, max_length: int, expires_in: int) -> dict[str, Any]:
        post: dict[str, Any] = s3_client().generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_length]],
            ExpiresIn=expires_in,
        )
        return {"url": post["url"], "fields": dict(post["fields"])}

    def read(self, key: str, max_bytes: int) -> StoredObject | None:
        client = s3_client()
        try:
            obj = client.get_object(Bucket=self.bucket, Key=key)
        except client.exceptions.NoSuchKey:
            return None
        body = obj["Body"]
        try:
            data = body.read(max_bytes + 1)
        finally:
            body.close()
        return StoredObject(data=data, content_type=obj.get("ContentType") or "", size=int(obj["ContentLength"]))

    def put(self, key: str, data: bytes, content_type: str) -> None:
        s3_client().put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def delete(self, keys: Sequence[str]) -> None:
        for chunk in batched(keys, MAX_KEYS_PER_DELETE, strict=False):
            self._delete_objects(list(chunk))

    def delete_prefixes(self, prefixes: Sequence[str]) -> int:
        paginator = s3_client().get_paginator("list_objects_v2")
        deleted = 0
        for prefix in prefixes:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                keys = [obj["Key"] for obj in page.get("Contents", [])]
                if keys:
                    self._delete_objects(keys)
                    deleted += len(keys)
        return deleted

    def _delete_objects(self, keys: list[str]) -> None:
        response = s3_client().delete_objects(
            Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
        )
        errors = response.get("Errors") or []
        if errors:
            detail = ", ".join(f"{e.get('Key')}: {e.get('Code')}" for e in errors[:5])
            raise RuntimeError(f"could not delete {len(errors)} objects from {self.bucket}: {detail}")
