"""The saved delivery address in the users table: one ``ADDRESS#<userId>`` item per customer, written only while
the user's own item exists."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from buynest.core.dynamo import CONDITION_FAILED, reason_codes
from buynest.users.address import Address
from buynest.users.domain import UserNotFound

ADDRESS_PREFIX = "ADDRESS#"
USER_PREFIX = "USER#"


class AddressItem(Model):
    class Meta:
        table_name = "users"

    pk = UnicodeAttribute(hash_key=True)
    recipient = UnicodeAttribute()
    phone = UnicodeAttribute()
    line1 = UnicodeAttribute()
    line2 = UnicodeAttribute(null=True)
    city = UnicodeAttribute()
    postalCode = UnicodeAttribute()  # noqa: N815 - the attribute's name in the table
    country = UnicodeAttribute()
    updatedAt = UnicodeAttribute()  # noqa: N815 - the attribute's name in the table


class _UserKey(Model):
    """Only the key of the user's item, for the condition that the user exists."""

    class Meta:
        table_name = "users"

    pk = UnicodeAttribute(hash_key=True)


class DynamoAddressBook:
    """Customers' saved addresses on the users table."""

    def __init__(self, table_name: str) -> None:
        AddressItem.Meta.table_name = table_name
        _UserKey.Meta.table_name = table_name
        self._connection = Connection()

    def get(self, user_id: str) -> Address | None:
        try:
            item = AddressItem.get(ADDRESS_PREFIX + user_id, consistent_read=True)
        except DoesNotExist:
            return None
        return Address.model_validate(
            {name: getattr(item, name) for name in ("recipient", "phone", "line1", "line2", "city", "country")}
            | {"postalCode": item.postalCode}
        )

    def save(self, user_id: str, address: Address, now: str) -> None:
        """Store (or replace) the address; ``UserNotFound`` if the user does not exist."""
        item = AddressItem(
            pk=ADDRESS_PREFIX + user_id,
            recipient=address.recipient,
            phone=address.phone,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            postalCode=address.postal_code,
            country=address.country,
            updatedAt=now,
        )
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.condition_check(_UserKey, USER_PREFIX + user_id, condition=_UserKey.pk.exists())
                tx.save(item)
        except TransactWriteError as exc:
            if reason_codes(exc, 1) == [CONDITION_FAILED]:
                raise UserNotFound("user no longer exists") from exc
            raise
