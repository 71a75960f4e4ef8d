"""Buynest shared package: core building blocks and one sub-package per service.

Network settings of every pynamodb model, set here because pynamodb copies them into each model's Meta when the
model class is created, and every store imports this package first. pynamodb's own defaults (15 s to connect,
30 s to read) outlast the 10 s function timeout, so a stalled call would end in a timeout of the whole function
instead of a retry. Without a retry configuration of its own (its ``LEGACY`` one fixes 4 attempts), pynamodb's
client retries as every boto3 client of the function does: as ``AWS_RETRY_MODE`` (template Globals: standard) says."""

from pynamodb import settings as _pynamodb_settings

_pynamodb_settings.default_settings_dict.update(
    connect_timeout_seconds=2,
    read_timeout_seconds=5,
    retry_configuration=None,
)
