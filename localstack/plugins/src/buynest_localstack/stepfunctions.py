"""Two costs of LocalStack's Step Functions interpreter that AWS does not have, removed without changing what a
workflow does (found with ``py-spy record`` of LocalStack under the 20-shopper bench):

1. Every task state calls ``boto_client_for``, which assumes the workflow's role through STS
   (``connect_to.with_assumed_role``) and so gets new credentials, hence a new boto3 client, for every task: one
   STS call and one client build per task, about 4 % of LocalStack's CPU. AWS assumes a workflow's role once and
   uses that session until it nears its expiry. :func:`keep_role_sessions` does the same for the ``states``
   service principal: one session per (role, region, endpoint, config), reused until five minutes before the
   credentials' ``Expiration``; a failed ``AssumeRole`` is not kept, so it fails again next time, as before.
2. Every evaluation of a path (``InputPath``, ``ResultPath``, ``OutputPath``, a ``Parameters`` ``.$`` value, a
   ``Choice`` variable) calls ``jsonpath_ng``'s ``parse``, which builds a PLY parser, tables included, each
   time: about 6 % of LocalStack's CPU. A parsed path depends on nothing but its text, and ``find`` and
   ``update_or_create`` do not change it, so :func:`cache_parsed_paths` keeps the parsed expressions of the
   interpreter's two ``parse`` functions (``lru_cache``; an invalid path raises, and is not kept, as before).
"""

from __future__ import annotations

import functools
import threading
import time
from datetime import UTC, datetime
from typing import Any

SESSION_REFRESH_MARGIN_SECONDS = 5 * 60
PARSED_PATHS_KEPT = 4096

_sessions: dict[tuple[Any, ...], tuple[float, Any, Any]] = {}
_sessions_lock = threading.Lock()


def keep_role_sessions() -> None:
    """Makes ``connect_to.with_assumed_role`` keep the sessions it assumes for Step Functions."""
    from localstack.aws.connect import connect_to
    from localstack.utils.aws.client_types import ServicePrincipal
    from localstack.utils.strings import short_uid

    original = connect_to.with_assumed_role
    if getattr(original, "_buynest_keeps_sessions", False):
        return

    @functools.wraps(original)
    def with_assumed_role(
        *,
        role_arn: str,
        service_principal: Any = None,
        session_name: str | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Any = None,
    ) -> Any:
        if service_principal != ServicePrincipal.states or session_name is not None:
            return original(
                role_arn=role_arn,
                service_principal=service_principal,
                session_name=session_name,
                region_name=region_name,
                endpoint_url=endpoint_url,
                config=config,
            )
        key = (role_arn, region_name, endpoint_url, id(config))
        now = time.monotonic()
        with _sessions_lock:
            kept = _sessions.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        # as connect_to.with_assumed_role does it, but keeping the credentials' expiry
        sts = connect_to(endpoint_url=endpoint_url, config=config, region_name=region_name).sts
        credentials = sts.request_metadata(service_principal=service_principal).assume_role(
            RoleArn=role_arn, RoleSessionName=f"session-{short_uid()}"
        )["Credentials"]
        factory = connect_to(
            region_name=region_name,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            endpoint_url=endpoint_url,
            config=config,
        )
        expires_at = now + _seconds_left(credentials.get("Expiration")) - SESSION_REFRESH_MARGIN_SECONDS
        with _sessions_lock:
            # the config is in the key by identity (Step Functions passes one module-level Config); the entry
            # holds it, so that its id cannot be reused by another object
            _sessions[key] = (expires_at, factory, config)
        return factory

    with_assumed_role._buynest_keeps_sessions = True  # type: ignore[attr-defined]
    connect_to.with_assumed_role = with_assumed_role  # type: ignore[method-assign]


def _seconds_left(expiration: Any) -> float:
    """Seconds until an STS ``Expiration`` (a datetime, or ISO text); an hour, AssumeRole's default, if absent."""
    if isinstance(expiration, str):
        expiration = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    if not isinstance(expiration, datetime):
        return 3600.0
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    return (expiration - datetime.now(UTC)).total_seconds()


def cache_parsed_paths() -> None:
    """Keeps the expressions the Step Functions interpreter parses, by path text."""
    from localstack.services.stepfunctions.asl.component.common.path import result_path
    from localstack.services.stepfunctions.asl.utils import json_path

    for module in (json_path, result_path):
        parse = module.parse  # type: ignore[attr-defined]
        if not hasattr(parse, "cache_info"):
            module.parse = functools.lru_cache(maxsize=PARSED_PATHS_KEPT)(parse)  # type: ignore[attr-defined]
