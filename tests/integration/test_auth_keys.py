"""Token keys and account checks against moto's Secrets Manager, SSM and DynamoDB, built as the functions build
them (``buynest.core.auth._build_token_service``, ``DynamoAccountCheck``): issue #10, "The signing key" and
"Tokens cannot be revoked"."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

from buynest.core.auth import DynamoAccountCheck, TokenService, _build_token_service, set_account_check
from buynest.core.errors import Unauthorized
from buynest.core.signing_keys import SigningKey, rotated
from tests.conftest import FakeContext, api_event, call, load_handler

NEW_SEED = "rotated-seed-" + "y" * 40


def login_side() -> TokenService:
    """A token service as the login function builds it (its environment names the signing key secret)."""
    return _build_token_service()


def verifier_side() -> TokenService:
    """A token service as every other function builds it: no signing key in its environment."""
    secret = os.environ.pop("AUTH_SIGNING_KEY_ARN")
    try:
        return _build_token_service()
    finally:
        os.environ["AUTH_SIGNING_KEY_ARN"] = secret


def published(aws: dict[str, Any]) -> list[str]:
    value = boto3.client("ssm").get_parameter(Name=aws["public_keys_param"])["Parameter"]["Value"]
    return [jwk["kid"] for jwk in json.loads(value)["keys"]]


def test_login_publishes_its_public_key_and_verifiers_use_it(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    login, verifier = login_side(), verifier_side()
    token = login.issue("u1", "customer")
    kid = jwt.get_unverified_header(token)["kid"]
    assert published(aws) == [kid]
    assert verifier.verify(token).user_id == "u1"
    with pytest.raises(Exception, match="holds no signing key"):
        verifier.issue("u1", "admin")


def test_a_rotation_is_seen_without_a_redeploy_and_logs_nobody_out(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards issue #10 "the signing key": the key was fetched once per container (the 5-minute refresh never
    happened) and one shared secret meant a new key logged everyone out. Same two containers throughout: login
    re-reads the secret when its cache expires and publishes the new key first; the verifier, whose cache still
    holds the old key set, re-reads it as soon as a token names a kid it does not know; the old key's tokens still
    verify during the overlap."""
    login, verifier = login_side(), verifier_side()
    old_token = login.issue("u1", "customer")
    assert verifier.verify(old_token).user_id == "u1"
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    secrets = boto3.client("secretsmanager")
    current = secrets.get_secret_value(SecretId=aws["signing_key_arn"])["SecretString"]
    secrets.put_secret_value(SecretId=aws["signing_key_arn"], SecretString=rotated(current, NEW_SEED))
    assert jwt.get_unverified_header(login.issue("u1", "customer"))["kid"] == old_kid  # cached: not yet
    DEFAULT_PROVIDERS["secrets"].clear_cache()  # login's 5 minutes are up (the verifier's are not)

    new_token = login.issue("u2", "customer")
    new_kid = jwt.get_unverified_header(new_token)["kid"]
    assert new_kid == SigningKey.from_seed(NEW_SEED).kid != old_kid
    assert published(aws) == [new_kid, old_kid]
    assert verifier.verify(new_token).user_id == "u2"
    assert verifier.verify(old_token).user_id == "u1"


def test_an_unknown_kid_is_refused_and_refreshes_at_most_every_ten_seconds(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    login, verifier = login_side(), verifier_side()
    assert verifier.verify(login.issue("u1", "customer"))
    stranger = TokenService("not-our-seed-" + "z" * 40).issue("u1", "admin")
    reads: list[bool] = []
    original = parameters.get_parameter

    def counting(*args: Any, **kwargs: Any) -> Any:
        reads.append(bool(kwargs.get("force_fetch")))
        return original(*args, **kwargs)

    monkeypatch.setattr(parameters, "get_parameter", counting)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            verifier.verify(stranger)
    assert reads.count(True) == 1  # a flood of forged kids cannot turn into a flood of SSM reads


@pytest.fixture
def live_accounts(aws: dict[str, Any]) -> Iterator[None]:
    set_account_check(DynamoAccountCheck(aws["tables"]["UsersTable"]))
    yield
    set_account_check(None)


def test_demotion_and_revocation_through_the_operator_function(aws: dict[str, Any], live_accounts: None) -> None:
    """Guards issue #10: a demoted admin kept admin rights until the token expired, and no token could be
    revoked. With the real account check on the users table: 403 on the next admin request after a demotion, 401
    on every request after a revocation."""
    make_admin, login, me = (load_handler(f"users/{n}") for n in ("make_admin", "login", "get_me"))
    create = load_handler("products/create_product")
    product = {"name": "Mug", "description": "A mug", "price": 9000, "stock": 3, "category": "kitchen"}
    make_admin.handler({"email": "boss@example.com", "password": "password1", "name": "Boss"}, FakeContext())
    status, body = call(
        login, api_event("POST", "/auth/login", body={"email": "boss@example.com", "password": "password1"})
    )
    token = body["token"]
    assert call(create, api_event("POST", "/products", body=product, token=token))[0] == 201

    demoted = make_admin.handler({"email": "boss@example.com", "action": "demote"}, FakeContext())
    assert demoted["role"] == "customer"
    assert call(create, api_event("POST", "/products", body=product, token=token))[0] == 403
    assert call(me, api_event("GET", "/users/me", token=token))[1]["role"] == "customer"

    make_admin.handler({"email": "boss@example.com", "action": "revoke"}, FakeContext())
    status, body = call(me, api_event("GET", "/users/me", token=token))
    assert (status, body["error"]["code"]) == (401, "UNAUTHORIZED")
