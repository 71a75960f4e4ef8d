"""Users: the rules, in plain Python (no AWS, no environment)."""

from __future__ import annotations

from dataclasses import dataclass

from buynest.core.errors import BuynestError, Conflict, NotFound, TooManyRequests, Unauthorized

CUSTOMER = "customer"
ADMIN = "admin"

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

    def public(self) -> dict[str, object]:
        """What the API shows of a user (never the hash)."""
        return {"userId": self.user_id, "email": self.email, "name": self.name, "role": self.role}


@dataclass(frozen=True)
class LoginAttempts:
    """Failed logins for one email inside the current window (window start in epoch seconds)."""

    failures: int
    window_start: int


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding blanks."""
    return email.strip().lower()


def window_open(attempts: LoginAttempts | None, now: int) -> bool:
    return attempts is not None and attempts.window_start > now - LOCKOUT_WINDOW_SECONDS


def is_locked(attempts: LoginAttempts | None, now: int) -> bool:
    """Locked after ``LOCKOUT_THRESHOLD`` failures inside the window, until the window passes."""
    return window_open(attempts, now) and attempts is not None and attempts.failures >= LOCKOUT_THRESHOLD


def retry_after(attempts: LoginAttempts, now: int) -> int:
    return max(1, attempts.window_start + LOCKOUT_WINDOW_SECONDS - now)
