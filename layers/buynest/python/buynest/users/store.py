"""The users table (pynamodb). One table, three item kinds, keyed by ``pk``:
``USER#<id>`` (the user), ``EMAIL#<email>`` (uniqueness guard pointing at the user) and ``LOGIN#<email>`` (failed
login counter with a TTL)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from buynest.users.domain import LOCKOUT_WINDOW_SECONDS, EmailTaken, LoginAttempts, User, UserNotFound


class UserItem(Model):
    class Meta:
        table_name = "users"

    pk = UnicodeAttribute(hash_key=True)
    userId = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    points = NumberAttribute(null=True)
    passwordHash = UnicodeAttribute(null=True)
    createdAt = UnicodeAttribute(null=True)
    failures = NumberAttribute(null=True)
    windowStart = NumberAttribute(null=True)
    expiresAt = NumberAttribute(null=True)


def _user_key(user_id: str) -> str:
    return f"USER#{user_id}"


def _email_key(email: str) -> str:
    return f"EMAIL#{email}"


def _login_key(email: str) -> str:
    return f"LOGIN#{email}"


def _to_user(item: UserItem) -> User:
    return User(
        user_id=item.userId or "",
        email=item.email or "",
        name=item.name or "",
        role=item.role or "customer",
        points=int(item.points or 0),
        password_hash=item.passwordHash or "",
        created_at=item.createdAt or "",
    )


class DynamoUserRepository:
    """UserRepository on DynamoDB; uniqueness and counters are enforced by conditions, not by reads."""

    def __init__(self, table_name: str) -> None:
        UserItem.Meta.table_name = table_name
        self._connection = Connection()

    def create(self, user: User) -> None:
        guard = UserItem(pk=_email_key(user.email), userId=user.user_id)
        item = UserItem(
            pk=_user_key(user.user_id),
            userId=user.user_id,
            email=user.email,
            name=user.name,
            role=user.role,
            points=user.points,
            passwordHash=user.password_hash,
            createdAt=user.created_at,
        )
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(guard, condition=UserItem.pk.does_not_exist())
                tx.save(item, condition=UserItem.pk.does_not_exist())
        except TransactWriteError as exc:
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise EmailTaken("an account with this email already exists") from exc
            raise

    def get(self, user_id: str) -> User | None:
        try:
            return _to_user(UserItem.get(_user_key(user_id), consistent_read=True))
        except DoesNotExist:
            return None

    def get_by_email(self, email: str) -> User | None:
        try:
            guard = UserItem.get(_email_key(email), consistent_read=True)
        except DoesNotExist:
            return None
        return self.get(guard.userId or "")

    def set_role(self, user_id: str, role: str) -> User:
        item = UserItem(pk=_user_key(user_id))
        try:
            item.update(actions=[UserItem.role.set(role)], condition=UserItem.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise UserNotFound("user does not exist") from exc
            raise
        return _to_user(item)

    def login_attempts(self, email: str) -> LoginAttempts | None:
        try:
            item = UserItem.get(_login_key(email), consistent_read=True)
        except DoesNotExist:
            return None
        return LoginAttempts(failures=int(item.failures or 0), window_start=int(item.windowStart or 0))

    def record_failure(self, email: str, now: int) -> None:
        """Count a failure in the open window, or open a new window; concurrent failures are never lost."""
        cutoff = now - LOCKOUT_WINDOW_SECONDS
        for _ in range(3):
            item = UserItem(pk=_login_key(email))
            try:
                item.update(actions=[UserItem.failures.add(1)], condition=UserItem.windowStart > cutoff)
                return
            except UpdateError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
            fresh = UserItem(
                pk=_login_key(email), failures=1, windowStart=now, expiresAt=now + LOCKOUT_WINDOW_SECONDS + 60
            )
            try:
                fresh.save(condition=UserItem.pk.does_not_exist() | (UserItem.windowStart <= cutoff))
                return
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise

    def clear_failures(self, email: str) -> None:
        UserItem(pk=_login_key(email)).delete()
