"""Bearer tokens: issued at login, verified in handler code (not by a gateway authorizer, which LocalStack's
community build never invokes), so authentication behaves the same locally and on AWS."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt

from buynest.core.config import env_int, env_str
from buynest.core.errors import Forbidden, Unauthorized
from buynest.core.lazy import Lazy

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

ISSUER = "buynest"
ALGORITHM = "HS256"
ROLES = ("customer", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is calling: taken from a verified token."""

    user_id: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class TokenService:
    """Issues and verifies HS256 JWTs with a key that lives in Secrets Manager, never in code."""

    def __init__(self, key: str, ttl_seconds: int = 3600) -> None:
        if len(key) < 32:
            raise ValueError("token signing key must be at least 32 characters")
        self._key = key
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id: str, role: str, now: float | None = None) -> str:
        iat = int(now if now is not None else time.time())
        claims = {"iss": ISSUER, "sub": user_id, "role": role, "iat": iat, "exp": iat + self.ttl_seconds}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token has expired; log in again") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("token is not valid") from exc
        role = claims.get("role")
        if role not in ROLES or not isinstance(claims["sub"], str):
            raise Unauthorized("token is not valid")
        return Principal(user_id=claims["sub"], role=role)


def _build_token_service() -> TokenService:
    """The key is fetched from Secrets Manager once (Powertools parameters, cached for 5 minutes)."""
    from aws_lambda_powertools.utilities import parameters

    key = parameters.get_secret(env_str("AUTH_SECRET_ARN"), max_age=300)
    return TokenService(str(key), ttl_seconds=env_int("TOKEN_TTL_SECONDS", 3600))


token_service = Lazy(_build_token_service)
set_token_service = token_service.set


def bearer_token(app: APIGatewayRestResolver) -> str:
    header = app.current_event.headers.get("authorization") or app.current_event.headers.get("Authorization")
    if not header:
        raise Unauthorized("missing Authorization header: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'")
    return token.strip()


def authenticate(app: APIGatewayRestResolver) -> Principal:
    """The caller, or 401."""
    return token_service().verify(bearer_token(app))


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
