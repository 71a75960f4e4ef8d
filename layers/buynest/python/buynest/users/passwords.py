"""Password hashing with Argon2id (argon2-cffi): slow, salted, parameters stored inside each hash."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# A hash of a throwaway password made with argon2-cffi's default parameters: verifying against it costs what
# verifying a real password costs, without paying a hash when the function starts (a hasher with other parameters
# makes its own).
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$afN53FRlXWfGihCrXJ0u3w$3GUUxKKlJNDqV/omxFgi60ZitO3POuR9yNb+34M7jRc"


class Argon2Hasher:
    """Hashes and verifies passwords; ``dummy_verify`` spends the same time when the email is unknown."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        needs_own = self._hasher.check_needs_rehash(DUMMY_HASH)
        self._dummy = self._hasher.hash("buynest-timing-equaliser") if needs_own else DUMMY_HASH

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def dummy_verify(self, password: str) -> None:
        self.verify(self._dummy, password)
