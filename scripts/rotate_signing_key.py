"""Rotate the token signing key of the local stack: a new Ed25519 seed becomes current, the current key is kept
verifiable for the tokens it signed. (On AWS, write the JSON ``rotated()`` makes with `aws secretsmanager
put-secret-value` to the AuthSecretArn output.)

The login function sees the new key within 5 minutes (its cache of the secret) and publishes the new public key
before it signs with it; verifiers pick it up when they meet its key id. Rotate at most once per token lifetime
(TokenTtlSeconds, 1 h by default): only the previous key is kept, so a token two rotations old is refused."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", ROOT / ".local"))
sys.path.insert(0, str(ROOT / "layers" / "buynest" / "python"))

from buynest.core.signing_keys import SigningKey, parse_seeds, rotated  # noqa: E402


def main() -> None:
    import boto3

    outputs = json.loads((LOCAL / "outputs.json").read_text())
    client = boto3.client(
        "secretsmanager",
        endpoint_url=outputs["Endpoint"],
        region_name=outputs["Region"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    secret_id = outputs["AuthSecretArn"]
    current = client.get_secret_value(SecretId=secret_id)["SecretString"]
    new = rotated(current, secrets.token_urlsafe(48))
    client.put_secret_value(SecretId=secret_id, SecretString=new)
    kids = [SigningKey.from_seed(seed).kid for seed in parse_seeds(new)]
    print(f"signing key rotated: new kid {kids[0]}, still verifying {kids[1:]}")


if __name__ == "__main__":
    main()
