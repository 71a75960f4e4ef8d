"""`make mail [TO=<email>]`: the emails the local stack has sent (LocalStack's SES keeps them at ``GET /_aws/ses``),
newest first, one JSON object per line: ``{"to", "subject", "text", "sentAt"}``. ``TO`` keeps those sent to
that address (case-insensitive)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import requests

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", Path(__file__).resolve().parent.parent / ".local"))


def endpoint() -> str:
    path = LOCAL / "outputs.json"
    if path.exists():
        return str(json.loads(path.read_text())["Endpoint"])
    return f"http://127.0.0.1:{os.environ.get('LOCALSTACK_PORT', '4566')}"


def _utc(timestamp: str | None) -> str | None:
    """LocalStack records UTC without a zone (``2026-12-04T03:56:56``): the contract's form ends in ``Z``."""
    if not timestamp:
        return None
    return timestamp if timestamp.endswith("Z") or "+" in timestamp else f"{timestamp.split('.')[0]}Z"


def sent_mail(base: str, to: str | None = None) -> list[dict[str, Any]]:
    """The emails SES has sent on the local stack at ``base``, newest first (none before SES's first use)."""
    resp = requests.get(f"{base}/_aws/ses", timeout=10)
    if resp.status_code == 404:
        return []
    resp.raise_for_status()
    mails = []
    for message in resp.json().get("messages", []):
        recipients = (message.get("Destination") or {}).get("ToAddresses") or []
        if to and to.lower() not in (r.lower() for r in recipients):
            continue
        mails.append(
            {
                "to": ", ".join(recipients),
                "subject": message.get("Subject"),
                "text": (message.get("Body") or {}).get("text_part"),
                "sentAt": _utc(message.get("Timestamp")),
            }
        )
    return sorted(mails, key=lambda m: str(m["sentAt"] or ""), reverse=True)


def main() -> None:
    try:
        mails = sent_mail(endpoint(), os.environ.get("TO") or None)
    except requests.RequestException as exc:
        sys.exit(f"cannot read the local stack's mail ({exc}): is it running? (`make up`)")
    for mail in mails:
        print(json.dumps(mail, ensure_ascii=False))


if __name__ == "__main__":
    main()
