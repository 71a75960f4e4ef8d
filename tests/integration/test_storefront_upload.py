"""scripts/storefront.py: what `make up` puts in the storefront bucket."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]


def storefront_script() -> Any:
    spec = importlib.util.spec_from_file_location("storefront_script", ROOT / "scripts" / "storefront.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upload_puts_every_file_with_its_type_and_a_config_naming_the_api(aws: dict[str, Any]) -> None:
    """Guards delivery: ES modules need a JavaScript content type, the page needs config.json with the API URL,
    and nothing may be cached blind (no content-hashed names)."""
    script = storefront_script()
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="shop")

    count = script.upload(s3, "shop", "https://api.example.com/v1/")

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="shop")["Contents"]}
    assert {"index.html", "style.css", "js/app.js", "js/views/catalog.js", "config.json"} <= keys
    assert count == len(keys)
    types = {key: s3.head_object(Bucket="shop", Key=key) for key in ("index.html", "js/app.js", "style.css")}
    assert types["index.html"]["ContentType"] == "text/html; charset=utf-8"
    assert types["js/app.js"]["ContentType"] == "text/javascript; charset=utf-8"
    assert types["style.css"]["ContentType"] == "text/css; charset=utf-8"
    assert all(head["CacheControl"] == "no-cache" for head in types.values())
    config = json.loads(s3.get_object(Bucket="shop", Key="config.json")["Body"].read())
    assert config == {"apiUrl": "https://api.example.com/v1"}
