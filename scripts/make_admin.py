"""`make admin EMAIL=... PASSWORD=...`: invokes the stack's MakeAdminFunction (creates or promotes the user).
`make admin EMAIL=... DEMOTE=1` makes an admin a customer again; `make admin EMAIL=... REVOKE=1` logs the user out
everywhere. Each counts on the user's next request."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", Path(__file__).resolve().parent.parent / ".local"))


class MakeAdminError(RuntimeError):
    """The MakeAdminFunction answered with an error; ``body`` is what it returned."""

    def __init__(self, body: Any) -> None:
        super().__init__(f"MakeAdminFunction failed: {body}")
        self.body = body


def local_lambda_client(outputs: dict[str, str]) -> Any:
    """A boto3 Lambda client of the local stack that ``outputs`` (.local/outputs.json) describes."""
    import boto3

    return boto3.client(
        "lambda",
        endpoint_url=outputs["Endpoint"],
        region_name=outputs["Region"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def invoke_make_admin(
    outputs: dict[str, str], email: str, password: str | None, name: str | None = None, action: str = "promote"
) -> dict[str, Any]:
    """Create or promote ``email`` as an admin through the local stack's MakeAdminFunction (what `make admin`,
    `make seed`, `make bench` and `make load` all do), or demote it or revoke its tokens (``action``); returns the
    function's answer."""
    client = local_lambda_client(outputs)
    payload = {
        "email": email,
        **({"password": password} if password else {}),
        **({"name": name} if name else {}),
        **({"action": action} if action != "promote" else {}),
    }
    resp = client.invoke(FunctionName=outputs["MakeAdminFunctionName"], Payload=json.dumps(payload).encode())
    body = json.loads(resp["Payload"].read() or b"null")
    if resp.get("FunctionError"):
        raise MakeAdminError(body)
    return dict(body)


def main() -> None:
    email, password = os.environ.get("EMAIL", ""), os.environ.get("PASSWORD", "")
    action = "demote" if os.environ.get("DEMOTE") else "revoke" if os.environ.get("REVOKE") else "promote"
    if not email or (action == "promote" and not password):
        sys.exit(
            "usage: make admin EMAIL=you@example.com PASSWORD='at least 8 characters' [NAME='Your Name']\n"
            "       make admin EMAIL=you@example.com DEMOTE=1   (back to customer)\n"
            "       make admin EMAIL=you@example.com REVOKE=1   (log out everywhere)"
        )
    outputs = json.loads((LOCAL / "outputs.json").read_text())
    try:
        body = invoke_make_admin(outputs, email, password or None, os.environ.get("NAME") or "Admin", action)
    except MakeAdminError as exc:
        body = exc.body
        sys.exit(f"make admin failed: {body.get('errorMessage', body) if isinstance(body, dict) else body}")
    created = body.pop("created")
    done = {"promote": f"admin {'created' if created else 'promoted'}", "demote": "demoted", "revoke": "tokens revoked"}
    print(f"{done[body.pop('action', action)]}: {json.dumps(body)}")


if __name__ == "__main__":
    main()
