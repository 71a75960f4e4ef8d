"""Bearer tokens (issue #10, "Tokens cannot be revoked" and "The signing key"): EdDSA with a key id, refused in
every forged form, and an account check that makes a demotion or a revocation count on the next request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from buynest.core.auth import Principal, TokenService, set_account_check
from buynest.core.errors import Unauthorized
from buynest.core.signing_keys import SigningKey, StaticKeys, jwk_set, parse_seeds, public_keys, rotated
from buynest.products.service import ProductService
from buynest.users.service import UserService
from tests.conftest import api_event, call, load_handler
from tests.unit.fakes import FakeAccountCheck, FakeUserRepository

SEED, NEW_SEED = "s" * 40, "n" * 40
create_product = load_handler("products/create_product")
get_me = load_handler("users/get_me")
PRODUCT = {"name": "Mug", "description": "A mug", "price": 9000, "stock": 3, "category": "kitchen"}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_tokens_are_eddsa_and_name_their_key() -> None:
    service = TokenService(SEED)
    token = service.issue("u1", "admin", version=3)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["kid"] == SigningKey.from_seed(SEED).kid
    assert service.verify(token) == Principal("u1", "admin", 3)


def forged(header: dict[str, object], claims: dict[str, object], hmac_key: bytes | None = None) -> str:
    """A token built by hand: unsigned, or HS256-signed with ``hmac_key`` (PyJWT itself refuses to sign with a
    public key as an HMAC secret, an attacker does not)."""
    signing_input = ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode())])
    signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest() if hmac_key else b""
    return f"{signing_input}.{b64(signature)}"


def test_forged_tokens_are_refused() -> None:
    """Guards the classic JWT forgeries against an asymmetric verifier: ``alg: none``; HS256 "signed" with the
    public key (which verifiers publish) as the HMAC secret; an unknown or missing ``kid``."""
    service = TokenService(SEED)
    key = SigningKey.from_seed(SEED)
    claims = jwt.decode(service.issue("u1", "customer"), options={"verify_signature": False}) | {"role": "admin"}
    raw_public = key.public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    pem_public = key.public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    attempts = [
        forged({"alg": "none", "typ": "JWT", "kid": key.kid}, claims),
        forged({"alg": "none", "typ": "JWT"}, claims),
        forged({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims, raw_public),
        forged({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims, pem_public),
        forged({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims, b64(raw_public).encode()),
        TokenService(NEW_SEED).issue("u1", "admin"),  # a key nobody published
        jwt.encode(claims, SigningKey.from_seed(NEW_SEED).private, algorithm="EdDSA"),  # no kid at all
        jwt.encode(claims, SigningKey.from_seed(NEW_SEED).private, algorithm="EdDSA", headers={"kid": key.kid}),
        "not-a-token",
    ]
    for token in attempts:
        with pytest.raises(Unauthorized):
            service.verify(token)


def test_a_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key() -> None:
    """Guards: with one HS256 secret, changing the key logged everyone out. After a rotation the previous key
    still verifies (for the tokens it signed) and new tokens carry the new kid."""
    before = TokenService(keys=StaticKeys(*parse_seeds(SEED)))
    old_token = before.issue("u1", "customer")
    after = TokenService(keys=StaticKeys(*parse_seeds(rotated(SEED, NEW_SEED))))
    new_token = after.issue("u1", "customer")
    assert jwt.get_unverified_header(new_token)["kid"] == SigningKey.from_seed(NEW_SEED).kid
    assert after.verify(old_token).user_id == after.verify(new_token).user_id == "u1"
    # a second rotation drops the first key: its tokens (older than a token's lifetime by then) are refused
    again = TokenService(keys=StaticKeys(*parse_seeds(rotated(rotated(SEED, NEW_SEED), "t" * 40))))
    assert again.verify(new_token).user_id == "u1"
    with pytest.raises(Unauthorized):
        again.verify(old_token)


def test_a_jwk_set_round_trips_the_public_keys_only() -> None:
    keys = [SigningKey.from_seed(SEED), SigningKey.from_seed(NEW_SEED)]
    document = jwk_set(keys)
    assert all(set(jwk) == {"kty", "crv", "alg", "use", "kid", "x"} for jwk in document["keys"])
    found = public_keys(json.loads(json.dumps(document)))
    assert set(found) == {k.kid for k in keys}
    assert SEED not in json.dumps(document)


@pytest.fixture
def accounts(user_repo: FakeUserRepository) -> Iterator[FakeAccountCheck]:
    check = FakeAccountCheck(user_repo)
    set_account_check(check)
    yield check
    set_account_check(None)


def test_a_demoted_admin_gets_403_on_the_next_admin_request(
    users: UserService, products: ProductService, accounts: FakeAccountCheck
) -> None:
    """Guards issue #10: roles came from the token alone, so a demoted admin kept admin rights until the token
    expired (up to 24 h). The account's current role is read on every request."""
    users.ensure_admin("boss@example.com", "password1", "Boss")
    token, _ = users.login("boss@example.com", "password1")
    assert call(create_product, api_event("POST", "/products", body=PRODUCT, token=token))[0] == 201

    users.demote("boss@example.com")

    status, body = call(create_product, api_event("POST", "/products", body=PRODUCT, token=token))
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN")
    assert call(get_me, api_event("GET", "/users/me", token=token))[1]["role"] == "customer"


def test_a_promoted_customer_is_an_admin_at_once(
    users: UserService, products: ProductService, accounts: FakeAccountCheck
) -> None:
    users.signup("lee@example.com", "password1", "Lee")
    token, _ = users.login("lee@example.com", "password1")
    assert call(create_product, api_event("POST", "/products", body=PRODUCT, token=token))[0] == 403
    users.ensure_admin("lee@example.com", None, "ignored")
    assert call(create_product, api_event("POST", "/products", body=PRODUCT, token=token))[0] == 201


def test_revoking_ends_every_earlier_token_at_once(users: UserService, accounts: FakeAccountCheck) -> None:
    """Guards issue #10 "tokens cannot be revoked": a stolen token worked until it expired, whatever was done."""
    users.signup("kim@example.com", "password1", "Kim")
    first, _ = users.login("kim@example.com", "password1")
    second, _ = users.login("kim@example.com", "password1")
    assert call(get_me, api_event("GET", "/users/me", token=first))[0] == 200

    users.revoke_tokens("kim@example.com")

    for token in (first, second):
        status, body = call(get_me, api_event("GET", "/users/me", token=token))
        assert (status, body["error"]["code"]) == (401, "UNAUTHORIZED") and "revoked" in body["error"]["message"]
    fresh, _ = users.login("kim@example.com", "password1")
    assert call(get_me, api_event("GET", "/users/me", token=fresh))[0] == 200


def test_a_token_of_a_deleted_account_is_refused(
    users: UserService, user_repo: FakeUserRepository, accounts: FakeAccountCheck
) -> None:
    user = users.signup("gone@example.com", "password1", "Gone")
    token, _ = users.login("gone@example.com", "password1")
    del user_repo.users[user.user_id]
    assert call(get_me, api_event("GET", "/users/me", token=token))[0] == 401


def test_demote_and_revoke_of_an_unknown_email_are_not_found(users: UserService) -> None:
    from buynest.users.domain import UserNotFound

    for act in (users.demote, users.revoke_tokens):
        with pytest.raises(UserNotFound):
            act("nobody@example.com")
    with pytest.raises(UserNotFound):
        users.ensure_admin("nobody@example.com", None, "No password")
