"""Users: the rules, in plain Python (no AWS, no environment)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from buynest.core.errors import BuynestError, Conflict, NotFound, TooManyRequests, Unauthorized

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
