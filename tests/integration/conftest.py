"""Integration fixtures: moto's in-process AWS with the template's own tables and the auth secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from buynest.core.auth import set_account_check, set_token_service
from buynest.core.settings import SETTINGS_PATH_ENV, set_live_settings
from buynest.products.runtime import set_product_service
from buynest.users.runtime import set_address_service, set_user_service
from tests.template import create_table_args, resources
from tests.unit.fakes import TrustTheToken

TABLE_ENV = {"UsersTable": "USERS_TABLE", "ProductsTable": "PRODUCTS_TABLE"}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A fresh moto account with every table of template.yaml and the token secret; env set as the template sets
    it for the functions."""
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        names = {}
        for logical_id in resources("AWS::DynamoDB::Table"):
            name = f"it-{logical_id}"
            ddb.create_table(**create_table_args(logical_id, name))
            names[logical_id] = name
            if logical_id in TABLE_ENV:
                monkeypatch.setenv(TABLE_ENV[logical_id], name)
        keys = auth_keys(monkeypatch)
        settings_path = live_settings_parameters(monkeypatch)
        for reset in (set_token_service, set_user_service, set_product_service, set_address_service, set_live_settings):
            reset(None)
        set_account_check(TrustTheToken())  # tests of revocation install the real DynamoAccountCheck
        yield {"tables": names, "ddb": ddb, "settings_path": settings_path, **keys}
        for reset in (set_token_service, set_user_service, set_product_service, set_address_service, set_account_check):
            reset(None)
        set_live_settings(None)


SETTINGS_PATH = "/buynest/it/settings/"


def live_settings_parameters(monkeypatch: pytest.MonkeyPatch) -> str:
    """The live settings' parameters as template.yaml declares them (name and default value), under a test path
    that the functions' environment names, as the template's Globals do."""
    ssm = boto3.client("ssm", region_name="us-east-1")
    for resource in resources("AWS::SSM::Parameter").values():
        props = resource["Properties"]
        name = props.get("Name", {})
        text = name.get("Fn::Sub", "") if isinstance(name, dict) else ""
        if "/settings/" in text:
            ssm.put_parameter(Name=SETTINGS_PATH + text.rsplit("/", 1)[1], Value=props["Value"], Type="String")
    monkeypatch.setenv(SETTINGS_PATH_ENV, SETTINGS_PATH)
    return SETTINGS_PATH


def put_setting(name: str, value: str) -> None:
    """Store ``value`` (unchecked: tests also store bad ones) as the live setting ``name``, and forget what
    Powertools cached, as if the cache age had passed."""
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name=SETTINGS_PATH + name, Value=value, Type="String", Overwrite=True)
    parameters.clear_caches()
    set_live_settings(None)


def auth_keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The signing key secret (as the template generates it) and the public-keys parameter (as the template creates
    it, empty); the functions' environment names both, as the template's does for the login function."""
    secret = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="it-auth", SecretString="integration-seed-" + "x" * 40
    )
    parameter = "it-auth-public-keys"
    boto3.client("ssm", region_name="us-east-1").put_parameter(Name=parameter, Value='{"keys": []}', Type="String")
    parameters.clear_caches()  # Powertools keeps values for 5 minutes, across tests too
    monkeypatch.setenv("AUTH_SIGNING_KEY_ARN", secret["ARN"])
    monkeypatch.setenv("AUTH_PUBLIC_KEYS_PARAM", parameter)
    return {"signing_key_arn": secret["ARN"], "public_keys_param": parameter}
