"""Request bodies of the users API (strict: wrong types and unknown fields are refused)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from buynest.users.domain import nfkc, refuse_hidden_characters


def _nfkc(value: object) -> object:
    """Normalise text before the length and pattern checks (so a full-width at sign, U+FF20, counts as ``@``);
    other types pass on to be refused by strict validation."""
    return nfkc(value) if isinstance(value, str) else value


Email = Annotated[
    str,
    BeforeValidator(_nfkc),
    StringConstraints(strip_whitespace=True, min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    AfterValidator(refuse_hidden_characters),
]
Password = Annotated[str, Field(min_length=8, max_length=128)]
Name = Annotated[
    str,
    BeforeValidator(_nfkc),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(refuse_hidden_characters),
]


class SignupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    email: Email
    password: Password
    name: Name


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=128)]


class MakeAdminRequest(BaseModel):
    """Payload of the operator function behind ``make admin`` (not exposed over HTTP). ``action``: ``promote``
    (the default: create the user as an admin, which needs ``password``, or promote the existing one), ``demote``
    (back to customer) or ``revoke`` (log the user out everywhere). Each counts on the user's next request."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: Email
    password: Password | None = None
    name: Name = "Admin"
    action: Literal["promote", "demote", "revoke"] = "promote"
