"""The keys that sign and verify bearer tokens: Ed25519 (JWT ``alg: EdDSA``), each known by a key id (``kid``).

Only the login function holds private keys: the ``AuthSecret`` secret holds their seeds, either one seed (as the
template generates it) or ``{"current": seed, "previous": [seed, ...]}`` after a rotation
(``scripts/rotate_signing_key.py``). A seed is any string of at least 32 characters; the private key is the SHA-256
of it (an Ed25519 private key is 32 random bytes, which CloudFormation cannot generate but Secrets Manager can, as
a string). Login signs with ``current`` and publishes the public keys of all of them, as a JWK set, in the
``AuthPublicKeys`` parameter, which is all every other function can read. A rotation keeps the old key's public
half published, so tokens signed before it stay valid until they expire; a new login gets the new ``kid``.

Both sides re-read their source through Powertools Parameters with a ``max_age`` (5 minutes), so a rotation is seen
without a redeploy; a verifier that meets an unknown ``kid`` re-reads at once (at most every 10 seconds)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from buynest.core.config import ConfigError

ALGORITHM = "EdDSA"
MIN_SEED_LENGTH = 32
MAX_AGE_SECONDS = 300
FORCED_REFRESH_INTERVAL_SECONDS = 10


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public: Ed25519PublicKey) -> str:
    """A key's id: the start of the SHA-256 of its public bytes (stable, and says nothing of the private key)."""
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _b64url(hashlib.sha256(raw).digest())[:16]


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, seed: str) -> SigningKey:
        if len(seed) < MIN_SEED_LENGTH:
            raise ValueError(f"token signing key seed must be at least {MIN_SEED_LENGTH} characters")
        private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())
        return cls(key_id(private.public_key()), private)

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()


def jwk_set(keys: Iterable[SigningKey]) -> dict[str, Any]:
    """The public halves as a JWK set (RFC 8037 OKP keys)."""
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": ALGORITHM,
                "use": "sig",
                "kid": key.kid,
                "x": _b64url(key.public.public_bytes(Encoding.Raw, PublicFormat.Raw)),
            }
            for key in keys
        ]
    }


def public_keys(document: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """``kid`` → public key of a JWK set; entries that are not Ed25519 signing keys are ignored."""
    found: dict[str, Ed25519PublicKey] = {}
    for jwk in document.get("keys", []):
        if isinstance(jwk, dict) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            kid, x = jwk.get("kid"), jwk.get("x")
            if isinstance(kid, str) and isinstance(x, str):
                found[kid] = Ed25519PublicKey.from_public_bytes(_b64url_decode(x))
    return found


def parse_seeds(secret: str) -> list[str]:
    """The seeds held in the secret, current first."""
    text = secret.strip()
    if not text.startswith("{"):
        return [text]
    try:
        doc = json.loads(text)
        seeds = [doc["current"], *doc.get("previous", [])]
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError('the signing key secret must be a seed or {"current": seed, "previous": [...]}') from exc
    if not all(isinstance(seed, str) for seed in seeds):
        raise ConfigError("the signing key secret's seeds must be strings")
    return seeds


def rotated(secret: str, new_seed: str) -> str:
    """The secret after a rotation: ``new_seed`` signs from now on, the current key stays published (so tokens
    it signed verify until they expire) and older ones go. Rotate at most once per token lifetime."""
    if len(new_seed) < MIN_SEED_LENGTH:
        raise ValueError(f"token signing key seed must be at least {MIN_SEED_LENGTH} characters")
    return json.dumps({"current": new_seed, "previous": parse_seeds(secret)[:1]})


class KeySource(Protocol):
    """Where a token service finds its keys."""

    def signing_key(self) -> SigningKey:
        """The key new tokens are signed with (ConfigError where this function holds none)."""
        ...

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        """The public key with that id, or None when it is unknown (the token is then refused)."""
        ...


class StaticKeys:
    """Keys given once (tests, tools): the first seed signs, all verify."""

    def __init__(self, *seeds: str) -> None:
        self._keys = [SigningKey.from_seed(seed) for seed in seeds]
        self._public = {key.kid: key.public for key in self._keys}

    def signing_key(self) -> SigningKey:
        return self._keys[0]

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        return self._public.get(kid)

    def jwks(self) -> dict[str, Any]:
        return jwk_set(self._keys)


class SecretKeys:
    """The login function's keys: seeds from Secrets Manager (re-read every ``max_age`` seconds). Whenever the set
    changes, its public halves are published to the public-keys parameter before anything is signed with it, so
    no token reaches a verifier before its key can."""

    def __init__(self, secret_id: str, publish: Callable[[dict[str, Any]], None]) -> None:
        self._secret_id = secret_id
        self._publish = publish
        self._loaded: tuple[str, list[SigningKey]] | None = None
        self._lock = threading.Lock()

    def _keys(self) -> list[SigningKey]:
        from aws_lambda_powertools.utilities import parameters

        secret = str(parameters.get_secret(self._secret_id, max_age=MAX_AGE_SECONDS))
        with self._lock:
            if self._loaded is None or self._loaded[0] != secret:
                keys = [SigningKey.from_seed(seed) for seed in parse_seeds(secret)]
                self._publish(jwk_set(keys))
                self._loaded = (secret, keys)
            return self._loaded[1]

    def signing_key(self) -> SigningKey:
        return self._keys()[0]

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        return next((key.public for key in self._keys() if key.kid == kid), None)


class PublishedKeys:
    """A verifier's keys: the JWK set in the public-keys parameter, re-read every ``max_age`` seconds, and at once
    (at most every ``FORCED_REFRESH_INTERVAL_SECONDS``) when a token names a key id it does not know yet."""

    def __init__(self, parameter_name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._name = parameter_name
        self._clock = clock
        self._last_forced = float("-inf")
        self._lock = threading.Lock()

    def _read(self, force: bool) -> dict[str, Ed25519PublicKey]:
        from aws_lambda_powertools.utilities import parameters

        doc = parameters.get_parameter(self._name, max_age=MAX_AGE_SECONDS, force_fetch=force, transform="json")
        return public_keys(doc if isinstance(doc, dict) else {})

    def signing_key(self) -> SigningKey:
        raise ConfigError("this function verifies tokens only: it holds no signing key")

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        found = self._read(force=False).get(kid)
        if found is not None:
            return found
        with self._lock:
            now = self._clock()
            if now - self._last_forced < FORCED_REFRESH_INTERVAL_SECONDS:
                return None
            self._last_forced = now
        return self._read(force=True).get(kid)


def ssm_publisher(parameter_name: str) -> Callable[[dict[str, Any]], None]:
    """Writes a JWK set to the public-keys parameter unless it already holds exactly that set."""

    def publish(document: dict[str, Any]) -> None:
        import boto3

        ssm = boto3.client("ssm")
        value = json.dumps(document, sort_keys=True)
        current = ssm.get_parameter(Name=parameter_name)["Parameter"]["Value"]
        if current != value:
            ssm.put_parameter(Name=parameter_name, Value=value, Overwrite=True)

    return publish
