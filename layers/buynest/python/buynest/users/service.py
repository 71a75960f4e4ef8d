"""Users use cases: sign up, log in (with lock-out), read the caller, promote an admin."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from buynest.core.auth import TokenService
from buynest.core.events import EventPublisher, make_event
from buynest.core.ids import new_id, now_iso
from buynest.core.observability import logger
from buynest.users.domain import (
    ADMIN,
    CUSTOMER,
    DEFAULT_LOCKOUT,
    InvalidCredentials,
    Lockout,
    LoginAttempts,
    TooManyAttempts,
    User,
    UserNotFound,
    normalize_email,
    retry_after,
)
from buynest.users.messages import SOURCE, USER_SIGNED_UP, UserSignedUp


class UserRepository(Protocol):
    """Port to the users table. ``create`` raises ``EmailTaken`` when the email is already registered."""

    def create(self, user: User) -> None: ...
    def get(self, user_id: str) -> User | None: ...
    def get_by_email(self, email: str) -> User | None: ...
    def set_role(self, user_id: str, role: str) -> User: ...

    def revoke_tokens(self, user_id: str) -> User:
        """Bumps the user's token version: every token issued so far stops working."""
        ...

    def login_attempts(self, email: str) -> LoginAttempts | None: ...
    def claim_attempt(self, email: str, now: int, lockout: Lockout = DEFAULT_LOCKOUT) -> bool: ...
    def clear_failures(self, email: str) -> None: ...
    def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...
    def dummy_verify(self, password: str) -> None: ...


class UserService:
    """Signup and login rules on top of a repository, a password hasher and a token service."""

    def __init__(
        self,
        repo: UserRepository,
        hasher: PasswordHasher,
        tokens: Callable[[], TokenService],
        clock: Callable[[], float] = time.time,
        events: EventPublisher | None = None,
        lockout: Callable[[], Lockout] = lambda: DEFAULT_LOCKOUT,
    ) -> None:
        """``lockout``: the login lockout now (a reader of the live settings when deployed)."""
        self._repo = repo
        self._hasher = hasher
        self._tokens = tokens
        self._clock = clock
        self._events = events
        self._lockout = lockout

    def signup(self, email: str, password: str, name: str, role: str = CUSTOMER) -> User:
        """Register a user; the email's uniqueness is enforced by the table (a conditional transaction)."""
        user = User(
            user_id=new_id(),
            email=normalize_email(email),
            name=name,
            role=role,
            points=0,
            password_hash=self._hasher.hash(password),
            created_at=now_iso(),
        )
        self._repo.create(user)
        self._announce(user)
        return user

    def _announce(self, user: User) -> None:
        """Publish ``UserSignedUp`` (its event id derived from the user's, so a re-send is the same event). The
        account exists already: a bus that refuses is logged, never turned into a failed signup."""
        if self._events is None:
            return
        data = UserSignedUp(user_id=user.user_id, email=user.email, name=user.name)
        event = make_event(SOURCE, USER_SIGNED_UP, data, user.user_id, event_id=f"signup-{user.user_id}")
        try:
            self._events.publish([event])
        except Exception:
            logger.exception("UserSignedUp not published", extra={"userId": user.user_id})

    def login(self, email: str, password: str) -> tuple[str, int]:
        """A token for the right password. Unknown email and wrong password look the same; after too many
        failures inside the window every attempt is refused until it passes.

        Every attempt is claimed (counted, atomically) *before* its password is checked, so a burst of parallel
        guesses gets at most ``lockout.threshold`` checks per window; a successful login then clears the count
        (its own claim included)."""
        email = normalize_email(email)
        now = int(self._clock())
        lockout = self._lockout()
        if not self._repo.claim_attempt(email, now, lockout):
            attempts = self._repo.login_attempts(email)
            wait = retry_after(attempts, now, lockout) if attempts is not None else 1
            raise TooManyAttempts(f"too many failed logins for this email; try again in {wait} seconds")
        user = self._repo.get_by_email(email)
        if user is None:
            self._hasher.dummy_verify(password)
            ok = False
        else:
            ok = self._hasher.verify(user.password_hash, password)
        if not ok or user is None:
            raise InvalidCredentials("email or password is wrong")
        self._repo.clear_failures(email)
        if self._hasher.needs_rehash(user.password_hash):
            # only now is the password known: re-hash it with the current parameters (a no-op if it changed meanwhile)
            self._repo.replace_password_hash(user.user_id, user.password_hash, self._hasher.hash(password))
        tokens = self._tokens()
        return tokens.issue(user.user_id, user.role, version=user.token_version, now=now), tokens.ttl_seconds

    def get(self, user_id: str) -> User:
        user = self._repo.get(user_id)
        if user is None:
            raise UserNotFound("user does not exist")
        return user

    def ensure_admin(self, email: str, password: str | None, name: str) -> tuple[User, bool]:
        """Create the user as an admin (``password`` needed), or promote the existing one. Returns (user, created).
        The role counts at once: every authenticated request reads the account's current role."""
        existing = self._repo.get_by_email(normalize_email(email))
        if existing is None:
            if password is None:
                raise UserNotFound("no user has this email; give a password to create it")
            return self.signup(email, password, name, role=ADMIN), True
        return self._repo.set_role(existing.user_id, ADMIN), False

    def demote(self, email: str) -> User:
        """Make an admin a customer again: their next admin request gets 403 (the role is read on every request;
        their token stays valid as a customer's)."""
        return self._repo.set_role(self._by_email(email).user_id, CUSTOMER)

    def revoke_tokens(self, email: str) -> User:
        """Log the user out everywhere: every token issued so far stops working on the next request."""
        return self._repo.revoke_tokens(self._by_email(email).user_id)

    def _by_email(self, email: str) -> User:
        user = self._repo.get_by_email(normalize_email(email))
        if user is None:
            raise UserNotFound("no user has this email")
        return user
