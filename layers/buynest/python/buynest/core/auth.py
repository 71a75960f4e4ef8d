"""Bearer tokens: issued at login, verified in handler code (not by a gateway authorizer, which LocalStack's
community build never invokes), so authentication behaves the same locally and on AWS."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import jwt

from buynest.core.config import env_int, env_str
from buynest.core.errors import Forbidden, Unauthorized
from buynest.core.lazy import Lazy
from buynest.core.signing_keys import ALGORITHM, KeySource, StaticKeys

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

ISSUER = "buynest"
ROLES = ("customer", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is calling: taken from a verified token. ``token_version`` is the account's token version when the
    token was issued; bumping the stored one (a role change, a revocation) makes every earlier token invalid."""

    user_id: str
    role: str
    token_version: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class TokenService:
    """Issues and verifies EdDSA (Ed25519) JWTs whose header names the signing key (``kid``); see
    ``buynest.core.signing_keys``. ``TokenService(seed)`` signs and verifies with the one key made from ``seed``
    (tests and tools); the functions get theirs from ``_build_token_service``."""

    def __init__(self, key: str | None = None, ttl_seconds: int = 3600, *, keys: KeySource | None = None) -> None:
        if keys is None:
            if key is None:
                raise ValueError("a token service needs a key seed or a key source")
            keys = StaticKeys(key)
        self._keys = keys
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id: str, role: str, version: int = 0, now: float | None = None) -> str:
        signing = self._keys.signing_key()
        iat = int(now if now is not None else time.time())
        claims = {
            "iss": ISSUER,
            "sub": user_id,
            "role": role,
            "ver": version,
            "iat": iat,
            "exp": iat + self.ttl_seconds,
        }
        return jwt.encode(claims, signing.private, algorithm=ALGORITHM, headers={"kid": signing.kid})

    def verify(self, token: str) -> Principal:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            public = self._keys.public_key(kid) if isinstance(kid, str) else None
            if public is None:
                raise Unauthorized("token is not valid")
            claims = jwt.decode(
                token,
                public,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token has expired; log in again") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("token is not valid") from exc
        role, version = claims.get("role"), claims.get("ver", 0)
        if role not in ROLES or not isinstance(claims["sub"], str) or type(version) is not int:
            raise Unauthorized("token is not valid")
        return Principal(user_id=claims["sub"], role=role, token_version=version)


def _build_token_service() -> TokenService:
    """The login function (the only one given ``AUTH_SIGNING_KEY_ARN``) signs with the secret's keys and publishes
    their public halves; every other function verifies with the published ones. Both re-read their source every
    5 minutes (Powertools parameters' cache), so a rotation needs no redeploy."""
    from buynest.core.signing_keys import PublishedKeys, SecretKeys, ssm_publisher

    public_param = env_str("AUTH_PUBLIC_KEYS_PARAM")
    signing_secret = os.environ.get("AUTH_SIGNING_KEY_ARN")
    keys: KeySource = (
        SecretKeys(signing_secret, ssm_publisher(public_param)) if signing_secret else PublishedKeys(public_param)
    )
    return TokenService(keys=keys, ttl_seconds=env_int("TOKEN_TTL_SECONDS", 3600))


token_service = Lazy(_build_token_service)
set_token_service = token_service.set


class AccountCheck(Protocol):
    """Port: is the account behind a verified token still as the token says?"""

    def confirm(self, principal: Principal) -> Principal:
        """The principal with its current role, or Unauthorized when the account is gone or its tokens were
        revoked (its stored token version moved on)."""
        ...


def still_valid(principal: Principal, account: Principal | None) -> Principal:
    """The rule of every AccountCheck: ``account`` is what is stored now (None: no such account). The token's
    version must be the stored one; the stored role is the one that counts."""
    if account is None:
        raise Unauthorized("this account no longer exists")
    if account.token_version != principal.token_version:
        raise Unauthorized("this token was revoked; log in again")
    return Principal(account.user_id, account.role if account.role in ROLES else "customer", account.token_version)


class DynamoAccountCheck:
    """Reads the account's ``role`` and ``tokenVersion`` from the users table on every request (one strongly
    consistent GetItem of ``USER#<id>``, projected to those two attributes): a role change or a revocation takes
    effect on the very next request. The users service owns the table; this is the one read of it outside."""

    def __init__(self, table_name: str) -> None:
        import boto3

        self._table = table_name
        self._client = boto3.client("dynamodb")

    def confirm(self, principal: Principal) -> Principal:
        item = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": f"USER#{principal.user_id}"}},
            ProjectionExpression="#r, tokenVersion",
            ExpressionAttributeNames={"#r": "role"},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return still_valid(principal, None)
        role = item.get("role", {}).get("S", "customer")
        stored = Principal(principal.user_id, role, int(item.get("tokenVersion", {}).get("N", "0")))
        return still_valid(principal, stored)


account_check = Lazy[AccountCheck](lambda: DynamoAccountCheck(env_str("USERS_TABLE")))
set_account_check = account_check.set


def bearer_token(app: APIGatewayRestResolver) -> str:
    header = app.current_event.headers.get("authorization") or app.current_event.headers.get("Authorization")
    if not header:
        raise Unauthorized("missing Authorization header: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'")
    return token.strip()


def authenticate(app: APIGatewayRestResolver) -> Principal:
    """The caller, or 401: a token that verifies, of an account that still exists, issued since its last
    revocation. The role is the account's current one, not the token's."""
    return account_check().confirm(token_service().verify(bearer_token(app)))


def require_admin(app: APIGatewayRestResolver) -> Principal:
    """The caller if an admin: 401 without a valid token, 403 with another role."""
    principal = authenticate(app)
    if not principal.is_admin:
        raise Forbidden("this action needs the admin role")
    return principal


def require_customer(app: APIGatewayRestResolver) -> Principal:
    """The caller if a customer: 401 without a valid token, 403 for admins."""
    principal = authenticate(app)
    if principal.role != "customer":
        raise Forbidden("this action is for customers")
    return principal
