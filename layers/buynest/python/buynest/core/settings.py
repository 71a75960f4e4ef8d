"""Live settings: operational values a shop changes without a deploy (points rate, pending-order timeout, login
lockout, images per product, cart line limit). Each is an SSM parameter under ``SETTINGS_PATH``
(``/buynest/<Stage>/settings/``, declared in template.yaml with its default), read through Powertools Parameters
with a short cache, so a change reaches every function within ``MAX_AGE_SECONDS``. Each has a typed default and
bounds: a missing, unreadable or bad value is logged once (one warning per problem, not one per request) and the
default is used, so a typo in the console can never become a 5xx. ``make config`` (scripts/config.py) lists and
changes them with the same ``Setting.parse``."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from buynest.core.lazy import Lazy
from buynest.core.observability import logger

SETTINGS_PATH_ENV = "SETTINGS_PATH"
DEFAULT_PATH = "/buynest/buynest/settings/"
MAX_AGE_SECONDS = 30
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class InvalidSetting(ValueError):
    """A setting's value is not a whole number within its bounds (or the setting does not exist)."""


@dataclass(frozen=True)
class Setting:
    """One live setting: its parameter name (under the settings path), default and inclusive bounds."""

    name: str
    default: int
    minimum: int
    maximum: int
    description: str

    def parse(self, raw: object) -> int:
        """The value of ``raw`` (a parameter's text), or ``InvalidSetting`` saying why it is not acceptable."""
        text = str(raw).strip() if raw is not None else ""
        if not _WHOLE_NUMBER.fullmatch(text):
            raise InvalidSetting(f"{self.name}: {str(raw)[:40]!r} is not a whole number")
        value = int(text)
        if not self.minimum <= value <= self.maximum:
            raise InvalidSetting(f"{self.name}: {value} is not between {self.minimum} and {self.maximum}")
        return value


POINTS_RATE_PERCENT = "points-rate-percent"
PENDING_ORDER_TIMEOUT_SECONDS = "pending-order-timeout-seconds"
LOGIN_LOCKOUT_THRESHOLD = "login-lockout-threshold"
LOGIN_LOCKOUT_WINDOW_SECONDS = "login-lockout-window-seconds"
IMAGES_PER_PRODUCT = "images-per-product"
CART_LINE_LIMIT = "cart-line-limit"

# The most lines one order may have (orders.domain.MAX_LINES): one stock reservation is one TransactWriteItems of
# at most 100 items, the reservation record and one per product. The cart's limit may not exceed it, so a full cart
# can always be ordered.
MAX_CART_LINES = 99

SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(POINTS_RATE_PERCENT, 1, 0, 100, "percent of an order's total earned as points when it is confirmed"),
        Setting(PENDING_ORDER_TIMEOUT_SECONDS, 300, 60, 86400, "seconds an order may stay PENDING before TIMEOUT"),
        Setting(LOGIN_LOCKOUT_THRESHOLD, 10, 1, 1000, "login attempts per email per window before it is locked"),
        Setting(LOGIN_LOCKOUT_WINDOW_SECONDS, 900, 60, 86400, "seconds of the login lockout window"),
        Setting(IMAGES_PER_PRODUCT, 10, 1, 50, "images a product may have (pending uploads included)"),
        Setting(CART_LINE_LIMIT, 50, 1, MAX_CART_LINES, "distinct products a cart may hold"),
    )
}

# A value a service reads when it needs it: a number (tests, defaults) or a reader of the live setting.
IntValue = int | Callable[[], int]


def current(value: IntValue) -> int:
    """The value now: ``value`` itself, or what its reader returns."""
    return value() if callable(value) else value


# Fetch: the full parameter names -> their text, for those that exist (absent names are missing).
Fetch = Callable[[Sequence[str]], Mapping[str, str]]


def powertools_fetch(max_age: int) -> Fetch:
    """One ``GetParameters`` for the names Powertools has not cached within ``max_age`` seconds."""

    def fetch(names: Sequence[str]) -> Mapping[str, str]:
        from aws_lambda_powertools.utilities import parameters

        found = parameters.get_parameters_by_name({n: {} for n in names}, max_age=max_age, raise_on_error=False)
        return {name: str(value) for name, value in found.items() if name != "_errors"}

    return fetch


class LiveSettings:
    """The settings under ``path``. A setting that is missing or cannot be read is not asked for again for
    ``max_age`` seconds (its default is used meanwhile), so a broken parameter costs one call per cache age."""

    def __init__(
        self,
        path: str,
        fetch: Fetch | None = None,
        max_age: int = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path.rstrip("/") + "/"
        self._fetch = fetch or powertools_fetch(max_age)
        self._max_age = max_age
        self._clock = clock
        self._unavailable_until: dict[str, float] = {}
        self._warned: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> int:
        return self.values(name)[name]

    def values(self, *names: str) -> dict[str, int]:
        """The current value of each setting named (its default where the parameter is missing or bad)."""
        specs = [SETTINGS[name] for name in names]
        raw = self._read([spec.name for spec in specs])
        result: dict[str, int] = {}
        for spec in specs:
            text = raw.get(spec.name)
            if text is None:
                result[spec.name] = spec.default
                continue
            try:
                result[spec.name] = spec.parse(text)
            except InvalidSetting as exc:
                self._warn(spec, str(exc))
                result[spec.name] = spec.default
            else:
                self._warned.pop(spec.name, None)
        return result

    def _read(self, names: list[str]) -> dict[str, str]:
        now = self._clock()
        wanted = [n for n in names if self._unavailable_until.get(n, float("-inf")) <= now]
        if not wanted:
            return {}
        try:
            found = self._fetch([self.path + n for n in wanted])
        except Exception as exc:  # SSM unreachable, throttled or denied: the defaults for a while, never a 5xx
            problem = f"the parameter could not be read ({type(exc).__name__})"
            found = {}
        else:
            problem = "the parameter is missing"
        values = {full.removeprefix(self.path): text for full, text in found.items()}
        with self._lock:
            for name in wanted:
                if name not in values:
                    self._unavailable_until[name] = now + self._max_age
                    self._warn(SETTINGS[name], f"{name}: {problem}")
        return values

    def _warn(self, spec: Setting, problem: str) -> None:
        if self._warned.get(spec.name) == problem:
            return
        self._warned[spec.name] = problem
        logger.warning(
            "live setting ignored, its default is used",
            extra={"setting": spec.name, "problem": problem, "default": spec.default},
        )


def _build_live_settings() -> LiveSettings:
    return LiveSettings(os.environ.get(SETTINGS_PATH_ENV) or DEFAULT_PATH)


live_settings = Lazy(_build_live_settings)
set_live_settings = live_settings.set


def setting(name: str) -> Callable[[], int]:
    """A reader of the named live setting through this container's ``LiveSettings`` (built on first read)."""
    SETTINGS[name]
    return lambda: live_settings().get(name)
