"""The storefront as `make up` delivers it: served by the local S3 with the right types and a config naming the API."""

from __future__ import annotations

import requests


def test_the_shop_is_served_with_its_content_types_and_config(outputs: dict[str, str]) -> None:
    """Guards delivery: a wrong content type stops a browser from running ES modules; config.json must name the
    deployed API (never a hard-coded one)."""
    base = outputs["StorefrontUrl"].rsplit("/", 1)[0]
    index = requests.get(outputs["StorefrontUrl"], timeout=10)
    script = requests.get(f"{base}/js/app.js", timeout=10)
    style = requests.get(f"{base}/style.css", timeout=10)
    config = requests.get(f"{base}/config.json", timeout=10)
    assert index.status_code == script.status_code == style.status_code == config.status_code == 200
    assert index.headers["Content-Type"].startswith("text/html")
    assert '<script type="module" src="js/app.js">' in index.text
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert style.headers["Content-Type"].startswith("text/css")
    assert config.json() == {"apiUrl": outputs["ApiUrl"]}
