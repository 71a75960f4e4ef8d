"""Uploads the storefront (storefront/) to its bucket with a config.json naming the API, and prints its URL.

Called by ``scripts/stack.py deploy`` after every local deploy (the files are few; uploading them always is simpler
and safer than tracking changes), by ``make deploy-aws`` with ``--aws``, and by ``make up`` (``url``)."""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "storefront"
LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", ROOT / ".local"))
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
# No build step, so no content-hashed names: every file revalidates (ETag) instead of being cached blind.
CACHE_CONTROL = "no-cache"


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def site_files() -> list[Path]:
    return sorted(p for p in SITE.rglob("*") if p.is_file() and not p.name.startswith("."))


def site_config(api_url: str) -> dict[str, str]:
    """What the page reads at start (config.json): the API's base URL, never hard-coded in the page."""
    return {"apiUrl": api_url.rstrip("/")}


def upload(s3: Any, bucket: str, api_url: str) -> int:
    """Put every file of storefront/ and config.json into ``bucket``; returns how many objects were written."""
    for path in site_files():
        key = path.relative_to(SITE).as_posix()
        s3.put_object(
            Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(path), CacheControl=CACHE_CONTROL
        )
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(site_config(api_url)).encode(),
        ContentType=CONTENT_TYPES[".json"],
        CacheControl=CACHE_CONTROL,
    )
    return len(site_files()) + 1


def upload_local(outputs: dict[str, str], endpoint: str) -> None:
    """The local stack's upload (from the outputs ``scripts/stack.py`` has just written)."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=outputs["Region"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    count = upload(s3, outputs["StorefrontBucketName"], outputs["ApiUrl"])
    print(f"==> storefront: {count} files uploaded", flush=True)


def upload_aws(stack: str) -> None:
    """After ``sam deploy`` to AWS: read the stack's outputs with the caller's credentials and upload."""
    import boto3

    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    count = upload(boto3.client("s3"), outputs["StorefrontBucketName"], outputs["ApiUrl"])
    print(f"==> storefront: {count} files uploaded; open {outputs['StorefrontUrl']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("upload", help="upload to the stack deployed on AWS (the local deploy uploads by itself)")
    up.add_argument("--aws", action="store_true", required=True)
    up.add_argument("--stack", default=os.environ.get("STACK_NAME", "buynest"))
    sub.add_parser("url", help="print `Storefront: <url>` of the local stack")
    args = parser.parse_args()
    if args.cmd == "upload":
        upload_aws(args.stack)
        return
    path = LOCAL / "outputs.json"
    if not path.exists():
        sys.exit("no stack outputs yet: run `make up`")
    print(f"Storefront: {json.loads(path.read_text())['StorefrontUrl']}")


if __name__ == "__main__":
    main()
