"""The users table (pynamodb). One table, keyed by ``pk``:
``USER#<id>`` (the user), ``EMAIL#<email>`` (uniqueness guard pointing at the user), ``LOGIN#<email>`` (failed
login counter with a TTL), and the order saga's points records ``POINTS#<orderId>`` (points held for an order) and
``EARN#<orderId>`` (points earned by an order that held none). Points records live beside the balances so that a
record's state change and the balance change are one transaction; they are kept (no TTL), since a record that
vanished would let a redelivered event move points again."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from buynest.core.dynamo import CONDITION_FAILED, contention, reason_codes
from buynest.core.hold import HoldState
from buynest.core.saga import AlreadyDecided, Reserved
from buynest.users.domain import (
    DEFAULT_LOCKOUT,
    EmailTaken,
    HoldKind,
    Lockout,
    LoginAttempts,
    Move,
    PointsContention,
    PointsHold,
    PointsReason,
    User,
    UserNotFound,
    is_locked,
)
from buynest.users.saga import Insufficient, Moved, MoveResult, OwnerMissing, Refused, ReserveResult

HOLD_PREFIXES = {HoldKind.SPEND: "POINTS#", HoldKind.EARN: "EARN#"}


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
    tokenVersion = NumberAttribute(null=True)
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
        token_version=int(item.tokenVersion or 0),
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
            if reason_codes(exc, 1) == [CONDITION_FAILED]:
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
        """Changes the role; every request reads it (``buynest.core.auth.authenticate``), so it counts at once."""
        return self._update_account(user_id, UserItem.role.set(role))

    def revoke_tokens(self, user_id: str) -> User:
        """Bumps the token version: every token issued so far stops working."""
        return self._update_account(user_id, UserItem.tokenVersion.add(1))

    def _update_account(self, user_id: str, action: Action) -> User:
        item = UserItem(pk=_user_key(user_id))
        try:
            item.update(actions=[action], condition=UserItem.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise UserNotFound("user does not exist") from exc
            raise
        return _to_user(item)

    def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        """Swaps the stored hash only if it is still ``old_hash``; False when it was not (changed or gone)."""
        item = UserItem(pk=_user_key(user_id))
        try:
            item.update(actions=[UserItem.passwordHash.set(new_hash)], condition=UserItem.passwordHash == old_hash)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def login_attempts(self, email: str) -> LoginAttempts | None:
        try:
            item = UserItem.get(_login_key(email), consistent_read=True)
        except DoesNotExist:
            return None
        return LoginAttempts(failures=int(item.failures or 0), window_start=int(item.windowStart or 0))

    def claim_attempt(self, email: str, now: int, lockout: Lockout = DEFAULT_LOCKOUT) -> bool:
        """Count one login attempt for ``email`` before its password is checked: ``failures + 1`` in the open
        window while ``failures < lockout.threshold``, or a new window. Each is one conditional write, so however
        many attempts run at once, at most ``lockout.threshold`` are claimed per window. False when the window is
        open and full (locked)."""
        cutoff = now - lockout.window_seconds
        for _ in range(3):
            try:
                UserItem(pk=_login_key(email)).update(
                    actions=[UserItem.failures.add(1)],
                    condition=(UserItem.windowStart > cutoff) & (UserItem.failures < lockout.threshold),
                )
                return True
            except UpdateError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
            fresh = UserItem(
                pk=_login_key(email), failures=1, windowStart=now, expiresAt=now + lockout.window_seconds + 60
            )
            try:
                fresh.save(condition=UserItem.pk.does_not_exist() | (UserItem.windowStart <= cutoff))
                return True
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
            if is_locked(self.login_attempts(email), now, lockout):
                return False
        return False

    def clear_failures(self, email: str) -> None:
        UserItem(pk=_login_key(email)).delete()


class PointsHoldItem(Model):
    """An order's points record (see the module docstring)."""

    class Meta:
        table_name = "users"

    pk = UnicodeAttribute(hash_key=True)
    orderId = UnicodeAttribute()
    userId = UnicodeAttribute()
    state = UnicodeAttribute()
    amount = NumberAttribute(default=0)
    delta = NumberAttribute(null=True)
    movedBy = UnicodeAttribute(null=True)
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


def _hold_key(kind: HoldKind, order_id: str) -> str:
    return f"{HOLD_PREFIXES[kind]}{order_id}"


def _hold_item(hold: PointsHold) -> PointsHoldItem:
    return PointsHoldItem(
        pk=_hold_key(hold.kind, hold.order_id),
        orderId=hold.order_id,
        userId=hold.user_id,
        state=hold.state.value,
        amount=hold.amount,
        delta=hold.delta,
        movedBy=hold.moved_by.value if hold.moved_by else None,
        createdAt=hold.created_at,
        updatedAt=hold.updated_at,
    )


def _to_hold(kind: HoldKind, item: PointsHoldItem) -> PointsHold:
    return PointsHold(
        kind=kind,
        order_id=item.orderId,
        user_id=item.userId,
        state=HoldState(item.state),
        amount=int(item.amount or 0),
        delta=None if item.delta is None else int(item.delta),
        moved_by=PointsReason(item.movedBy) if item.movedBy else None,
        created_at=item.createdAt,
        updated_at=item.updatedAt,
    )


class DynamoPointsLedger:
    """PointsLedger on the users table. Holding points is one TransactWriteItems (the record, put if absent, and
    ``points = points - n`` on ``points >= n``); every later move is one too (the record's state change, conditioned
    on the state it leaves, and ``ADD points :delta`` on the user that must exist). Cancellation reasons follow
    pynamodb's item order: puts, then updates in the order given."""

    def __init__(self, table_name: str) -> None:
        for model in (UserItem, PointsHoldItem):
            model.Meta.table_name = table_name
        self._connection = Connection()

    def reserve(self, hold: PointsHold) -> ReserveResult:
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(_hold_item(hold), condition=PointsHoldItem.pk.does_not_exist())
                tx.update(
                    UserItem(pk=_user_key(hold.user_id)),
                    actions=[UserItem.points.set(UserItem.points - hold.amount)],
                    condition=UserItem.pk.exists() & (UserItem.points >= hold.amount),
                )
        except TransactWriteError as exc:
            hold_code, user_code = reason_codes(exc, 2)
            if hold_code == CONDITION_FAILED:
                return AlreadyDecided()
            if user_code == CONDITION_FAILED:
                return Insufficient()
            if contention(exc, [hold_code, user_code]):
                raise PointsContention(f"points hold for order {hold.order_id} lost a conflict") from exc
            raise
        return Reserved()

    def get(self, kind: HoldKind, order_id: str) -> PointsHold | None:
        try:
            return _to_hold(kind, PointsHoldItem.get(_hold_key(kind, order_id), consistent_read=True))
        except DoesNotExist:
            return None

    def record(self, hold: PointsHold) -> PointsHold:
        try:
            _hold_item(hold).save(condition=PointsHoldItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            stored = self.get(hold.kind, hold.order_id)
            if stored is None:
                raise
            return stored
        return hold

    def move(self, move: Move, at: str) -> MoveResult:
        key = _hold_key(move.kind, move.order_id)
        try:
            with TransactWrite(connection=self._connection) as tx:
                if move.from_states:
                    condition = PointsHoldItem.state.is_in(*(state.value for state in move.from_states)) & (
                        PointsHoldItem.userId == move.user_id
                    )
                    if move.amount is not None:
                        condition &= PointsHoldItem.amount == move.amount
                    tx.update(
                        PointsHoldItem(pk=key),
                        actions=[
                            PointsHoldItem.state.set(move.to_state.value),
                            PointsHoldItem.delta.set(move.delta),
                            PointsHoldItem.movedBy.set(move.reason.value),
                            PointsHoldItem.updatedAt.set(at),
                        ],
                        condition=condition,
                    )
                else:
                    created = PointsHold(
                        move.kind,
                        move.order_id,
                        move.user_id,
                        move.to_state,
                        move.amount or 0,
                        move.delta,
                        move.reason,
                        at,
                        at,
                    )
                    tx.save(_hold_item(created), condition=PointsHoldItem.pk.does_not_exist())
                if move.delta:
                    tx.update(
                        UserItem(pk=_user_key(move.user_id)),
                        actions=[UserItem.points.add(move.delta)],
                        condition=UserItem.pk.exists(),
                    )
        except TransactWriteError as exc:
            hold_code, user_code = reason_codes(exc, 2)
            if hold_code == CONDITION_FAILED:
                return Refused()
            if user_code == CONDITION_FAILED:
                return OwnerMissing()
            if contention(exc, [hold_code, user_code]):
                raise PointsContention(f"points move for order {move.order_id} lost a conflict") from exc
            raise
        return Moved()

    def balance(self, user_id: str) -> int | None:
        try:
            item = UserItem.get(_user_key(user_id), consistent_read=True, attributes_to_get=["pk", "points"])
        except DoesNotExist:
            return None
        return int(item.points or 0)
