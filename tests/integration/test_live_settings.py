"""Live settings against moto's SSM, with the parameters template.yaml declares: what Powertools Parameters reads,
what `make config` lists and writes (scripts/config.py), and a handler following a changed setting."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest

from buynest.core.settings import (
    CART_LINE_LIMIT,
    IMAGES_PER_PRODUCT,
    LOGIN_LOCKOUT_THRESHOLD,
    LOGIN_LOCKOUT_WINDOW_SECONDS,
    SETTINGS,
    InvalidSetting,
    LiveSettings,
    live_settings,
)
from scripts import config
from tests.conftest import api_event, call, load_handler
from tests.integration.conftest import put_setting

signup = load_handler("users/signup")
login = load_handler("users/login")


def ssm() -> Any:
    return boto3.client("ssm", region_name="us-east-1")


def test_the_functions_read_the_template_defaults_then_a_change(aws: dict[str, Any]) -> None:
    assert live_settings().path == aws["settings_path"]
    assert live_settings().values(*SETTINGS) == {name: spec.default for name, spec in SETTINGS.items()}
    put_setting(CART_LINE_LIMIT, "12")
    assert live_settings().get(CART_LINE_LIMIT) == 12


def test_a_bad_or_deleted_parameter_gives_the_default(aws: dict[str, Any]) -> None:
    put_setting(CART_LINE_LIMIT, "0")
    ssm().delete_parameter(Name=aws["settings_path"] + IMAGES_PER_PRODUCT)
    assert live_settings().values(CART_LINE_LIMIT, IMAGES_PER_PRODUCT) == {CART_LINE_LIMIT: 50, IMAGES_PER_PRODUCT: 10}


def test_a_path_with_no_parameters_gives_every_default(aws: dict[str, Any]) -> None:
    settings = LiveSettings("/buynest/elsewhere/settings/")
    assert settings.values(*SETTINGS) == {name: spec.default for name, spec in SETTINGS.items()}


def test_make_config_lists_every_setting_with_its_value_and_default(aws: dict[str, Any]) -> None:
    put_setting(CART_LINE_LIMIT, "lots")
    table = {row["name"]: row for row in config.rows(ssm(), aws["settings_path"])}
    assert sorted(table) == sorted(SETTINGS)
    assert table[IMAGES_PER_PRODUCT] | {"description": ""} == {
        "name": IMAGES_PER_PRODUCT, "value": "10", "default": 10, "effective": 10, "problem": None, "description": ""
    }  # fmt: skip
    assert (table[CART_LINE_LIMIT]["effective"], table[CART_LINE_LIMIT]["problem"]) == (
        50,
        "cart-line-limit: 'lots' is not a whole number",
    )
    shown = config.render(list(table.values()))
    assert "cart-line-limit" in shown and "[ignored: cart-line-limit: 'lots' is not a whole number" in shown


def test_make_config_set_validates_before_writing(aws: dict[str, Any]) -> None:
    path = aws["settings_path"]
    assert config.set_setting(ssm(), path, CART_LINE_LIMIT, " 40 ") == 40
    assert config.stored(ssm(), path)[CART_LINE_LIMIT] == "40"
    for name, value in ((CART_LINE_LIMIT, "100"), (CART_LINE_LIMIT, "-1"), ("cart-lines", "5")):
        with pytest.raises(InvalidSetting):
            config.set_setting(ssm(), path, name, value)
    assert config.stored(ssm(), path)[CART_LINE_LIMIT] == "40"
    assert "cart-lines" not in config.stored(ssm(), path)


def test_login_locks_out_after_the_live_threshold(aws: dict[str, Any]) -> None:
    body = {"email": "lee@example.com", "password": "password-1", "name": "Lee"}
    assert call(signup, api_event("POST", "/auth/signup", body=body))[0] == 201
    put_setting(LOGIN_LOCKOUT_THRESHOLD, "2")
    put_setting(LOGIN_LOCKOUT_WINDOW_SECONDS, "120")
    wrong = {"email": "lee@example.com", "password": "wrong-password"}
    assert [call(login, api_event("POST", "/auth/login", body=wrong))[0] for _ in range(2)] == [401, 401]
    status, error = call(login, api_event("POST", "/auth/login", body={**wrong, "password": "password-1"}))
    assert status == 429 and error["error"]["code"] == "TOO_MANY_ATTEMPTS"
    wait = re.search(r"try again in (\d+) seconds", error["error"]["message"])
    assert wait is not None and 110 <= int(wait.group(1)) <= 120  # the live window, not the default 900 s
