from __future__ import annotations

from dataclasses import replace

import pytest

from buynest.core.auth import TokenService
from buynest.users.domain import (
    LOCKOUT_THRESHOLD,
    LOCKOUT_WINDOW_SECONDS,
    EmailTaken,
    InvalidCredentials,
    TooManyAttempts,
)
from buynest.users.service import UserService
from tests.conftest import api_event, call, load_handler
from tests.unit.conftest import Clock
from tests.unit.fakes import FakeUserRepository

signup = load_handler("users/signup")
login = load_handler("users/login")
get_me = load_handler("users/get_me")
# kim@EXAMPLE.com in full-width forms (written as escapes: the look-alikes are the point)
WIDE_KIM = "\uff4b\uff49\uff4d\uff20\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com"


def test_signup_normalises_email_and_refuses_duplicates(users: UserService) -> None:
    user = users.signup("  Kim@Example.COM ", "password1", "Kim")
    assert user.email == "kim@example.com" and user.role == "customer" and user.points == 0
    with pytest.raises(EmailTaken):
        users.signup("kim@example.com", "password2", "Other Kim")


def test_login_issues_a_token_for_the_right_password_only(users: UserService, tokens: TokenService) -> None:
    user = users.signup("lee@example.com", "password1", "Lee")
    token, expires_in = users.login("LEE@example.com", "password1")
    assert tokens.verify(token).user_id == user.user_id and expires_in == 3600
    with pytest.raises(InvalidCredentials):
        users.login("lee@example.com", "wrong-password")
    with pytest.raises(InvalidCredentials):
        users.login("nobody@example.com", "password1")


def test_login_upgrades_a_hash_made_with_older_parameters(users: UserService, user_repo: FakeUserRepository) -> None:
    user = users.signup("han@example.com", "password1", "Han")
    user_repo.users[user.user_id] = replace(user, password_hash="old$password1")

    # a wrong password changes nothing
    with pytest.raises(InvalidCredentials):
        users.login("han@example.com", "wrong-password")
    assert user_repo.users[user.user_id].password_hash == "old$password1"

    # the right one logs in and is stored again with the current parameters
    assert users.login("han@example.com", "password1")
    assert user_repo.users[user.user_id].password_hash == "plain$password1"
    assert users.login("han@example.com", "password1")


def test_lockout_after_ten_failures_until_the_window_passes(users: UserService, clock: Clock) -> None:
    users.signup("park@example.com", "password1", "Park")
    for _ in range(LOCKOUT_THRESHOLD):
        with pytest.raises(InvalidCredentials):
            users.login("park@example.com", "nope-nope")
    with pytest.raises(TooManyAttempts):
        users.login("park@example.com", "password1")
    clock.now += LOCKOUT_WINDOW_SECONDS + 1
    token, _ = users.login("park@example.com", "password1")
    assert token


def test_success_resets_the_failure_count(users: UserService) -> None:
    users.signup("choi@example.com", "password1", "Choi")
    for _ in range(LOCKOUT_THRESHOLD - 1):
        with pytest.raises(InvalidCredentials):
            users.login("choi@example.com", "bad-password")
    users.login("choi@example.com", "password1")
    for _ in range(LOCKOUT_THRESHOLD - 1):
        with pytest.raises(InvalidCredentials):
            users.login("choi@example.com", "bad-password")
    assert users.login("choi@example.com", "password1")


def test_ensure_admin_creates_then_promotes(users: UserService) -> None:
    admin, created = users.ensure_admin("boss@example.com", "password1", "Boss")
    assert created and admin.role == "admin"
    users.signup("later@example.com", "password1", "Later")
    promoted, created = users.ensure_admin("later@example.com", "ignored1", "x")
    assert not created and promoted.role == "admin"


def test_signup_handler_contract(users: UserService) -> None:
    status, body = call(
        signup, api_event("POST", "/auth/signup", body={"email": "a@b.co", "password": "password1", "name": "A"})
    )
    assert status == 201
    assert set(body) == {"userId", "email", "name", "role"} and body["role"] == "customer"
    status, body = call(
        signup, api_event("POST", "/auth/signup", body={"email": "a@b.co", "password": "password1", "name": "A"})
    )
    assert (status, body["error"]["code"]) == (409, "EMAIL_TAKEN")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"email": "a@b.co", "password": "password1"', "JSON"),
        ({"email": "a@b.co", "password": "password1"}, "name"),
        ({"email": "a@b.co", "password": "short", "name": "A"}, "password"),
        ({"email": "a@b.co", "password": "p" * 129, "name": "A"}, "password"),
        ({"email": "not-an-email", "password": "password1", "name": "A"}, "email"),
        ({"email": "a@b.co", "password": "password1", "name": "A" * 201}, "name"),
        ({"email": "a@b.co", "password": 12345678, "name": "A"}, "password"),
        ({"email": "a@b.co", "password": "password1", "name": "A", "role": "admin"}, "role"),
        (None, "body"),
        ("[]", "object"),
    ],
)
def test_signup_refuses_bad_input_naming_the_field(users: UserService, body: object, field: str) -> None:
    status, resp = call(signup, api_event("POST", "/auth/signup", body=body))
    assert status == 400
    assert resp["error"]["code"] == "VALIDATION_ERROR"
    assert field in resp["error"]["message"]


def test_binary_body_is_a_400_not_a_crash(users: UserService) -> None:
    event = api_event("POST", "/auth/signup", body="//79")
    event["isBase64Encoded"] = True
    status, body = call(signup, event)
    assert status == 400 and "JSON" in body["error"]["message"]


def test_login_and_me_handlers(users: UserService) -> None:
    users.signup("me@example.com", "password1", "Me")
    status, body = call(
        login, api_event("POST", "/auth/login", body={"email": "me@example.com", "password": "password1"})
    )
    assert status == 200 and body["expiresIn"] == 3600
    status, me = call(get_me, api_event("GET", "/users/me", token=body["token"]))
    assert status == 200
    assert me["email"] == "me@example.com" and me["points"] == 0 and me["role"] == "customer"


def test_login_handler_hides_which_part_was_wrong(users: UserService) -> None:
    users.signup("who@example.com", "password1", "Who")
    wrong = call(login, api_event("POST", "/auth/login", body={"email": "who@example.com", "password": "password2"}))
    unknown = call(
        login, api_event("POST", "/auth/login", body={"email": "nobody@example.com", "password": "password1"})
    )
    assert wrong == unknown
    assert wrong[0] == 401 and wrong[1]["error"]["code"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer not.a.token"])
def test_me_needs_a_valid_token(users: UserService, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    status, body = call(get_me, api_event("GET", "/users/me", headers=headers))
    assert status == 401 and body["error"]["code"] == "UNAUTHORIZED"


def test_look_alike_emails_are_one_account(users: UserService) -> None:
    """Guards issue #10 "emails are not normalised": a full-width ``kim@EXAMPLE.com`` made a second account beside
    ``kim@example.com`` (and could not log in as written)."""
    status, created = call(
        signup,
        api_event("POST", "/auth/signup", body={"email": WIDE_KIM, "password": "password1", "name": "Kim"}),
    )
    assert (status, created["email"]) == (201, "kim@example.com")
    status, body = call(
        signup,
        api_event("POST", "/auth/signup", body={"email": "kim@example.com", "password": "password2", "name": "K"}),
    )
    assert (status, body["error"]["code"]) == (409, "EMAIL_TAKEN")
    for written in ("kim@example.com", WIDE_KIM, " KIM@Example.com"):
        status, _ = call(login, api_event("POST", "/auth/login", body={"email": written, "password": "password1"}))
        assert status == 200, written


@pytest.mark.parametrize(
    "name",
    [
        "Kim\u202e",  # right-to-left override
        "\u2066Kim\u2069",  # bidi isolates
        "K\u200bim",  # zero-width space
        "Ki\u200dm",  # zero-width joiner
        "\ufeffKim",  # byte-order mark
        "Kim\nLee",  # line feed
        "Kim\x00",  # NUL
        "Kim\u2028Lee",  # line separator
    ],
)
def test_names_with_control_bidi_or_zero_width_characters_are_refused(users: UserService, name: str) -> None:
    """Guards issue #10 "control and bidi characters are accepted in names": they were stored and shown as is."""
    status, body = call(
        signup,
        api_event("POST", "/auth/signup", body={"email": "n@example.com", "password": "password1", "name": name}),
    )
    assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["message"].startswith("name:") and "U+" in body["error"]["message"]


def test_emails_with_zero_width_characters_are_refused(users: UserService) -> None:
    body = {"email": "kim\u200b@example.com", "password": "password1", "name": "Kim"}
    status, resp = call(signup, api_event("POST", "/auth/signup", body=body))
    assert status == 400 and resp["error"]["message"].startswith("email:")


def test_names_are_stored_in_nfkc_and_keep_other_scripts(users: UserService) -> None:
    status, body = call(
        signup,
        api_event(
            "POST",
            "/auth/signup",
            body={"email": "m@example.com", "password": "password1", "name": " \uff2dinji 김민지 "},
        ),
    )
    assert (status, body["name"]) == (201, "Minji 김민지")
