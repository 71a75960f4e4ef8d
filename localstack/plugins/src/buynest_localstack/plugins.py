"""Plugin specs that LocalStack discovers through the entry points declared in ``pyproject.toml``.

Importing this module must stay cheap: LocalStack imports it while it scans for plugins, so each
plugin imports its implementation only when it is loaded.
"""

from __future__ import annotations

from localstack.runtime import hooks
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.plugins import Service, aws_provider

RUNTIME_EXECUTOR_NAME = "buynest-host"


class HostRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    """Selected with ``LAMBDA_RUNTIME_EXECUTOR=buynest-host``: functions run as host processes."""

    name = RUNTIME_EXECUTOR_NAME

    def load(self, *args: object, **kwargs: object) -> type:
        from buynest_localstack.host_executor import HostRuntimeExecutor

        return HostRuntimeExecutor


@aws_provider(api="dynamodb", name="moto")  # type: ignore[untyped-decorator]
def dynamodb_moto() -> Service:
    """Selected with ``PROVIDER_OVERRIDE_DYNAMODB=moto``."""
    from buynest_localstack.dynamodb import MotoDynamoDBProvider, locked_moto_dispatcher

    return Service.for_provider(MotoDynamoDBProvider(), dispatch_table_factory=locked_moto_dispatcher)


@aws_provider(api="dynamodbstreams", name="moto")  # type: ignore[untyped-decorator]
def dynamodbstreams_moto() -> Service:
    """Selected with ``PROVIDER_OVERRIDE_DYNAMODBSTREAMS=moto``."""
    from buynest_localstack.dynamodb import (
        MotoDynamoDBStreamsProvider,
        locked_moto_dispatcher,
        pass_user_identity_to_lambda,
    )
    from buynest_localstack.streamwait import install as wait_for_stream_writes

    pass_user_identity_to_lambda()
    wait_for_stream_writes()
    return Service.for_provider(MotoDynamoDBStreamsProvider(), dispatch_table_factory=locked_moto_dispatcher)


@hooks.on_infra_start()  # type: ignore[untyped-decorator]
def isolate_s3_storage() -> None:
    """Moves S3's scratch files from the host-wide ``/tmp/localstack-s3-storage`` under this instance's TMPDIR.

    LocalStack hard-codes that directory; two instances on one host would otherwise share it, and deleting
    a bucket in one would delete the other's files of a bucket with the same name.
    """
    from buynest_localstack.isolation import redirect_s3_storage

    redirect_s3_storage()


@hooks.on_infra_start()  # type: ignore[untyped-decorator]
def count_calls() -> None:
    """Serves ``/_buynest/calls`` (AWS calls by service and operation) for the benchmark."""
    from buynest_localstack.callcount import install

    install()


@hooks.on_infra_start()  # type: ignore[untyped-decorator]
def stop_cleanly() -> None:
    """Lets SIGTERM stop LocalStack in a second or two instead of a SIGKILL after ``bin/stop``'s deadline."""
    from buynest_localstack.shutdown import exit_when_stopped, stop_pollers_together, wake_loop_after_shutdown

    stop_pollers_together()
    wake_loop_after_shutdown()
    exit_when_stopped()


@hooks.on_infra_start()  # type: ignore[untyped-decorator]
def step_functions_sessions() -> None:
    """Step Functions keeps its workflow role's session and its parsed paths (buynest_localstack.stepfunctions)."""
    from buynest_localstack.stepfunctions import cache_parsed_paths, keep_role_sessions

    keep_role_sessions()
    cache_parsed_paths()


@hooks.on_infra_start()  # type: ignore[untyped-decorator]
def queue_pollers_wait() -> None:
    """SQS event source pollers wait on an empty queue instead of polling it (buynest_localstack.sqswait)."""
    from buynest_localstack.sqswait import install

    install()


@hooks.on_infra_start()  # type: ignore[untyped-decorator]
def batch_lambda_logs() -> None:
    """Lambda's logs reach CloudWatch Logs in one call per stream and batch window (buynest_localstack.logbatch)."""
    from buynest_localstack.logbatch import install

    install()
