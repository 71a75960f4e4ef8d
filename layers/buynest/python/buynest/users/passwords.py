"""Password hashing with Argon2id (argon2-cffi): slow, salted, parameters stored inside each hash."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's Password Storage Cheat Sheet: Argon2id with at least 19 MiB of memory, 2 iterations and 1 degree of
# parallelism. argon2-cffi's own default (RFC 9106 "low memory": 64 MiB, 3 iterations, 4 lanes) costs about 8 times
# the CPU (~240 ms against ~28 ms per verify here) and its 4 lanes buy nothing on a Lambda function, which has a
# fraction of one vCPU at 512 MB: every signup and login would pay it in latency and in billed duration.
TIME_COST, MEMORY_COST_KIB, PARALLELISM = 2, 19456, 1

# A hash of a throwaway password made with the parameters above: verifying against it costs what verifying a
# real password costs, without paying a hash when the function starts (a hasher with other parameters makes its
# own).
DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$KnFCRvmPE1FB0I55Bn+tpg$hlHcp9qZDaSTLIxWGEm9uUxvLAbtry4JhvAm21OeTc4"


def default_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)


class Argon2Hasher:
    """Hashes and verifies passwords; ``dummy_verify`` spends the same time when the email is unknown."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or default_hasher()
        needs_own = self.needs_rehash(DUMMY_HASH)
        self._dummy = self._hasher.hash("buynest-timing-equaliser") if needs_own else DUMMY_HASH

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a stored hash was made with other parameters than this hasher's (it is upgraded at login)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False

    def dummy_verify(self, password: str) -> None:
        self.verify(self._dummy, password)
