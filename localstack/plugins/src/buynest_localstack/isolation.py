"""Keeps a host-mode LocalStack's files under its own directories, so that several can share a host."""

from __future__ import annotations

import functools
import os
import tempfile
from typing import Any

HARD_CODED_S3_STORAGE = "/tmp/localstack-s3-storage"  # noqa: S108


def redirect_s3_storage() -> None:
    """Makes S3's ephemeral object store use ``$TMPDIR/localstack-s3-storage`` instead of the fixed path."""
    from localstack.services.s3.storage.ephemeral import EphemeralS3ObjectStore

    original = EphemeralS3ObjectStore.__init__
    if getattr(original, "_buynest_redirected", False):
        return
    target = os.path.join(tempfile.gettempdir(), "localstack-s3-storage")

    @functools.wraps(original)
    def init(self: EphemeralS3ObjectStore, root_directory: str | None = None, *args: Any, **kwargs: Any) -> None:
        directory = target if root_directory == HARD_CODED_S3_STORAGE else root_directory
        original(self, directory, *args, **kwargs)  # type: ignore[arg-type]  # LocalStack accepts None here

    init._buynest_redirected = True  # type: ignore[attr-defined]
    EphemeralS3ObjectStore.__init__ = init  # type: ignore[method-assign]
