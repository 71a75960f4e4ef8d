"""Users: the rules, in plain Python (no AWS, no environment)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from buynest.core.errors import BuynestError, Conflict, NotFound, TooManyRequests, Unauthorized
from buynest.core.hold import HoldState

CUSTOMER = "customer"
ADMIN = "admin"

# the defaults of the live settings login-lockout-threshold and login-lockout-window-seconds (buynest.core.settings)
LOCKOUT_THRESHOLD = 10
LOCKOUT_WINDOW_SECONDS = 15 * 60


class UserError(BuynestError):
    """Base of the users service's errors."""


class EmailTaken(UserError, Conflict):
    code = "EMAIL_TAKEN"


class InvalidCredentials(UserError, Unauthorized):
    code = "INVALID_CREDENTIALS"


class TooManyAttempts(UserError, TooManyRequests):
    code = "TOO_MANY_ATTEMPTS"


class UserNotFound(UserError, NotFound):
    pass


# ---- an order's points (users/saga.py applies these moves; users/store.py writes each with the balance) ----
#
# Each order has at most one hold per kind: SPEND (``pointsToUse`` > 0: held points, RESERVED | REJECTED |
# COMMITTED | RELEASED) and EARN (``pointsToUse`` == 0: a marker that the earned points were added, COMMITTED or
# RELEASED). Points earned: ``pointsEarned`` of the confirmed order (orders/domain.py computes it), added when it is
# confirmed. A cancelled order's earned points are always taken back in full, and its used points returned: the
# change is ``pointsUsed - pointsEarned``, even when that leaves the balance below zero (the earned points were spent
# on another order meanwhile). A negative balance cannot be spent (holding points needs ``balance >= n``) and later
# earnings repay it, so a customer's balance always equals what their still-confirmed orders earned minus what their
# confirmed and unfinished orders use: cancelling can never mint points.


class HoldKind(StrEnum):
    SPEND = "SPEND"
    EARN = "EARN"


class PointsReason(StrEnum):
    ORDER_CONFIRMED = "ORDER_CONFIRMED"
    ORDER_FAILED = "ORDER_FAILED"
    ORDER_CANCELLED = "ORDER_CANCELLED"


class PointsContention(UserError):
    """A points transaction lost a conflict or was throttled ; nothing changed."""


class PointsMismatch(UserError):
    """An order event disagrees with what is stored for the order (a bug upstream): left for the DLQ."""


class PointsOwnerMissing(UserError):
    """The order's customer has no user record, so there is no balance to change: left for the DLQ."""


@dataclass(frozen=True)
class PointsHold:
    """An order's points hold: what is held (``amount``) and the last balance change it made (``delta``, by
    ``moved_by``), so a repeat republishes the same ``UserPointsUpdated``."""

    kind: HoldKind
    order_id: str
    user_id: str
    state: HoldState
    amount: int = 0
    delta: int | None = None
    moved_by: PointsReason | None = None
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def reserved(cls, order_id: str, user_id: str, points: int, at: str) -> PointsHold:
        return cls(HoldKind.SPEND, order_id, user_id, HoldState.RESERVED, points, created_at=at, updated_at=at)

    @classmethod
    def rejected(cls, order_id: str, user_id: str, points: int, at: str) -> PointsHold:
        return cls(HoldKind.SPEND, order_id, user_id, HoldState.REJECTED, points, created_at=at, updated_at=at)

    @classmethod
    def tombstone(cls, kind: HoldKind, order_id: str, user_id: str, at: str) -> PointsHold:
        """The hold of an order that ended before anything was held or earned for it."""
        return cls(kind, order_id, user_id, HoldState.RELEASED, created_at=at, updated_at=at)


@dataclass(frozen=True)
class Move:
    """One atomic change: the hold goes from one of ``from_states`` to ``to_state`` (with no ``from_states``, it
    is created in ``to_state`` unless it exists) and the user's balance by ``delta``. An existing hold must
    belong to ``user_id``; ``amount`` is the held amount it must have (or is created with)."""

    kind: HoldKind
    order_id: str
    user_id: str
    from_states: tuple[HoldState, ...]
    to_state: HoldState
    delta: int
    reason: PointsReason
    amount: int | None = None


def _check_used(order_id: str, to_use: int, used: int) -> None:
    if used > to_use:
        raise PointsMismatch(f"order {order_id} used more points than it held")


def settle(order_id: str, user_id: str, to_use: int, used: int, earned: int) -> Move | None:
    """A confirmed order: the held points' hold becomes COMMITTED (or, without held points, an EARN marker is
    created) and the balance gains ``(pointsToUse - pointsUsed) + pointsEarned``. None when nothing moves."""
    _check_used(order_id, to_use, used)
    from_states: tuple[HoldState, ...]
    if to_use > 0:
        kind, from_states = HoldKind.SPEND, (HoldState.RESERVED,)
    elif earned > 0:
        kind, from_states = HoldKind.EARN, ()
    else:
        return None
    delta = to_use - used + earned
    return Move(
        kind, order_id, user_id, from_states, HoldState.COMMITTED, delta, PointsReason.ORDER_CONFIRMED, amount=to_use
    )


def give_back(order_id: str, user_id: str, to_use: int) -> Move | None:
    """A failed order: the held points go back (RESERVED -> RELEASED, balance + held). None when none were held."""
    if to_use == 0:
        return None
    return Move(
        HoldKind.SPEND,
        order_id,
        user_id,
        (HoldState.RESERVED,),
        HoldState.RELEASED,
        to_use,
        PointsReason.ORDER_FAILED,
        amount=to_use,
    )


def cancelled_kind(order_id: str, to_use: int, used: int, earned: int) -> HoldKind | None:
    """Which hold a cancelled order's points live in; None when it neither used nor earned any."""
    _check_used(order_id, to_use, used)
    if to_use > 0:
        return HoldKind.SPEND
    if earned > 0:
        return HoldKind.EARN
    return None


def take_back(stored: PointsHold, used: int, earned: int) -> Move | None:
    """Undo a cancelled order's points: COMMITTED -> RELEASED with ``pointsUsed`` returned and ``pointsEarned`` taken
    back in full (even below zero, see above); RESERVED (its confirmation not handled yet) -> RELEASED with
    everything held back. None when the hold is settled otherwise (released, rejected, a tombstone)."""
    if stored.state == HoldState.RESERVED:
        delta = stored.amount
    elif stored.state == HoldState.COMMITTED:
        delta = used - earned
    else:
        return None
    return Move(
        stored.kind,
        stored.order_id,
        stored.user_id,
        (stored.state,),
        HoldState.RELEASED,
        delta,
        PointsReason.ORDER_CANCELLED,
    )


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    name: str
    role: str
    points: int
    password_hash: str
    created_at: str
    token_version: int = 0  # bumped by a revocation: tokens issued before it stop working

    def public(self) -> dict[str, object]:
        """What the API shows of a user (never the hash)."""
        return {"userId": self.user_id, "email": self.email, "name": self.name, "role": self.role}


@dataclass(frozen=True)
class LoginAttempts:
    """Failed logins for one email inside the current window (window start in epoch seconds)."""

    failures: int
    window_start: int


# Characters a person cannot see or that reorder what they see: controls (Cc), format characters (Cf: the bidi
# overrides and isolates, zero-width space/joiners, the BOM, soft hyphen), surrogates, private use, and the line and
# paragraph separators. A name holding one can impersonate another ("admin\u202egnp.exe") or break a page.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def nfkc(text: str) -> str:
    """Unicode compatibility normal form: full-width, ligature and other look-alike forms become their plain
    characters (a full-width ``kim@EXAMPLE.com``, U+FF4B U+FF49 U+FF4D U+FF20 ..., becomes the ASCII one)."""
    return unicodedata.normalize("NFKC", text)


def normalize_email(email: str) -> str:
    """The form an email is stored and compared in: NFKC, trimmed, and lower-cased whole. The domain is
    case-insensitive by definition; the local part is case-folded too (a decision: RFC 5321 lets a server treat
    ``Kim`` and ``kim`` as two mailboxes, no common provider does, and two accounts that differ only in case are
    an impersonation risk, not a feature)."""
    return nfkc(email).strip().lower()


def hidden_character(text: str) -> str | None:
    """The first invisible or reordering character of ``text`` (see ``HIDDEN_CATEGORIES``), or None."""
    return next((ch for ch in text if unicodedata.category(ch) in HIDDEN_CATEGORIES), None)


def refuse_hidden_characters(text: str) -> str:
    """``text`` unchanged, or ValueError naming the first control, bidi or zero-width character in it."""
    found = hidden_character(text)
    if found is not None:
        raise ValueError(f"must not contain control, bidi or zero-width characters (found U+{ord(found):04X})")
    return text


@dataclass(frozen=True)
class Lockout:
    """How many login attempts an email gets per window of ``window_seconds`` before it is locked until the window
    passes (the live settings; these defaults otherwise)."""

    threshold: int = LOCKOUT_THRESHOLD
    window_seconds: int = LOCKOUT_WINDOW_SECONDS


DEFAULT_LOCKOUT = Lockout()


def window_open(attempts: LoginAttempts | None, now: int, lockout: Lockout = DEFAULT_LOCKOUT) -> bool:
    return attempts is not None and attempts.window_start > now - lockout.window_seconds


def is_locked(attempts: LoginAttempts | None, now: int, lockout: Lockout = DEFAULT_LOCKOUT) -> bool:
    """Locked after ``lockout.threshold`` failures inside the window, until the window passes."""
    return window_open(attempts, now, lockout) and attempts is not None and attempts.failures >= lockout.threshold


def retry_after(attempts: LoginAttempts, now: int, lockout: Lockout = DEFAULT_LOCKOUT) -> int:
    return max(1, attempts.window_start + lockout.window_seconds - now)
