"""A postal address as the contract gives it (``PUT /users/me/address``, an order's ``shippingAddress``): the rules
are lengths, an ISO 3166-1 alpha-2 country and phone characters. Shared, so a saved address and one given with an
order are validated alike."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

# ISO 3166-1 alpha-2, every officially assigned code
_ALPHA_2 = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY
    BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK
    FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR
    IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK
    ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
COUNTRIES = frozenset(_ALPHA_2.split())


def _country(value: str) -> str:
    if value not in COUNTRIES:
        raise PydanticCustomError("country_code", "must be an ISO 3166-1 alpha-2 country code, e.g. KR")
    return value


def _phone(value: str) -> str:
    if sum(c.isdigit() for c in value) < 4:
        raise PydanticCustomError("phone", "must have at least 4 digits")
    return value


def _blank_is_none(value: str | None) -> str | None:
    return value or None


Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Address(BaseModel):
    """``PUT /users/me/address``; stored and returned as given (whitespace at the ends trimmed)."""

    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel, populate_by_name=True)

    recipient: Line
    phone: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[+0-9 ()-]+$"),
        AfterValidator(_phone),
    ]
    line1: Line
    line2: Annotated[
        str | None, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_blank_is_none)
    ] = None
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]

    def public(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)
