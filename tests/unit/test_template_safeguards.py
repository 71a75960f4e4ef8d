"""The template's safeguards (issue #10, "everything watched"), checked on every resource of template.yaml, so that
a function, rule, queue or table another change adds is covered without touching this file: event delivery has a
dead-letter queue and a retry policy, every function's logs expire, the tables that hold money survive a mistake,
every dead-letter queue, failed payment workflow and swept order raises an alarm, and the API and the saga are
protected from a flood."""

from __future__ import annotations

from typing import Any

import pytest

from tests.template import resources, template

MONEY_TABLES = ("OrdersTable", "PaymentsTable", "UsersTable")
RULE_EVENT_TYPES = ("Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent")


def _functions() -> dict[str, dict[str, Any]]:
    return resources("AWS::Serverless::Function")


def _ref(value: Any) -> str | None:
    """The logical id a ``!Ref X`` / ``!GetAtt X.Attr`` points at."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else target.split(".")[0])
    return None


def _queue_policy_lets_eventbridge_send(queue: str) -> bool:
    for policy in resources("AWS::SQS::QueuePolicy").values():
        props = policy["Properties"]
        if queue not in [_ref(q) for q in props["Queues"]]:
            continue
        for statement in props["PolicyDocument"]["Statement"]:
            if (
                statement["Effect"] == "Allow"
                and statement["Principal"] == {"Service": "events.amazonaws.com"}
                and statement["Action"] == "sqs:SendMessage"
                and _ref(statement["Resource"]) == queue
                and "aws:SourceArn" in next(iter(statement["Condition"].values()))
            ):
                return True
    return False


def _delivery_problems(where: str, config: dict[str, Any]) -> list[str]:
    problems = []
    dlq = _ref(config.get("DeadLetterConfig", {}).get("Arn"))
    if dlq not in resources("AWS::SQS::Queue"):
        problems.append(f"{where}: no DeadLetterConfig naming a queue of the template")
    elif not _queue_policy_lets_eventbridge_send(dlq):
        problems.append(f"{where}: {dlq} has no queue policy letting EventBridge send to it")
    retry = config.get("RetryPolicy", {})
    if not {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} <= retry.keys():
        problems.append(f"{where}: no RetryPolicy (attempts and event age)")
    return problems


def test_every_eventbridge_target_has_a_dead_letter_queue_and_a_retry_policy() -> None:
    """Guards: a rule target (bus rule or a function's schedule) that cannot be reached drops the event after
    EventBridge's default retries, silently; each needs a DLQ EventBridge may write to, and an explicit policy."""
    problems = []
    for name, rule in resources("AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            problems += _delivery_problems(f"{name}/{target['Id']}", target)
    for name, function in _functions().items():
        for event_name, event in function["Properties"].get("Events", {}).items():
            if event["Type"] in RULE_EVENT_TYPES:
                problems += _delivery_problems(f"{name}/{event_name}", event["Properties"])
    assert problems == []


def test_every_function_logs_to_a_group_with_a_retention() -> None:
    """Guards: Lambda's automatic /aws/lambda/<name> groups keep every line forever (cost, and personal data in
    logs never ages out)."""
    default = template()["Globals"]["Function"].get("LoggingConfig", {}).get("LogGroup")
    groups = resources("AWS::Logs::LogGroup")
    problems = []
    for name, function in _functions().items():
        group = _ref(function["Properties"].get("LoggingConfig", {}).get("LogGroup", default))
        if group not in groups:
            problems.append(f"{name}: logs to no log group of the template")
        elif "RetentionInDays" not in groups[group]["Properties"]:
            problems.append(f"{name}: its log group {group} never expires")
    assert problems == []


@pytest.mark.parametrize("table", MONEY_TABLES)
def test_tables_that_hold_money_are_recoverable_and_protected(table: str) -> None:
    """Guards: a deleted stack, a replacing update or a bad write must not lose orders, payments or balances."""
    resource = resources("AWS::DynamoDB::Table")[table]
    props = resource["Properties"]
    assert props.get("PointInTimeRecoverySpecification") == {"PointInTimeRecoveryEnabled": True}
    assert props.get("DeletionProtectionEnabled") is True
    assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain")


def _dead_letter_queues() -> set[str]:
    """Every queue something sends its failures to: a queue's redrive target, a stream mapping's on-failure
    destination, an EventBridge target's DLQ."""
    found: set[str | None] = set()
    for queue in resources("AWS::SQS::Queue").values():
        found.add(_ref(queue["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")))
    for rule in resources("AWS::Events::Rule").values():
        found.update(_ref(t.get("DeadLetterConfig", {}).get("Arn")) for t in rule["Properties"]["Targets"])
    for function in _functions().values():
        for event in function["Properties"].get("Events", {}).values():
            props = event.get("Properties", {})
            found.add(_ref(props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")))
            found.add(_ref(props.get("DeadLetterConfig", {}).get("Arn")))
    found.discard(None)
    return {q for q in found if q is not None}


def _alarms() -> dict[str, dict[str, Any]]:
    return resources("AWS::CloudWatch::Alarm")


def _notifies_the_topic(alarm: dict[str, Any]) -> bool:
    return [_ref(a) for a in alarm["Properties"].get("AlarmActions", [])] == ["AlarmTopic"]


def test_every_dead_letter_queue_has_a_depth_alarm() -> None:
    """Guards: a message in a DLQ is work nothing will do until someone looks; nobody looked, nothing told them."""
    dlqs = _dead_letter_queues()
    assert {"EventDeliveryDLQ", "OrderEventsOutboxDLQ", "OrderRepliesDLQ"} <= dlqs
    watched = {
        _ref(alarm["Properties"]["Dimensions"][0]["Value"])
        for alarm in _alarms().values()
        if alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
        and alarm["Properties"]["Threshold"] == 0
        and _notifies_the_topic(alarm)
    }
    assert dlqs - watched == set()


def test_failed_payment_workflows_and_swept_orders_raise_alarms() -> None:
    """Guards: a failed payment execution or an order the sweeper had to end means the saga lost something."""
    metrics = {}
    for alarm in _alarms().values():
        props = alarm["Properties"]
        assert _notifies_the_topic(alarm)
        if "MetricName" in props:
            metrics[(props["Namespace"], props["MetricName"])] = props
        for metric in props.get("Metrics", []):
            if "MetricStat" in metric:
                stat = metric["MetricStat"]["Metric"]
                metrics[(stat["Namespace"], stat["MetricName"])] = stat
    failed = metrics[("AWS/States", "ExecutionsFailed")]
    assert failed["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "PaymentStateMachine"}}]
    # The sweeper's metric, by the name the orders service emits it with (Powertools: service dimension).
    swept = metrics[("Buynest", "OrdersTimedOut")]
    assert swept["Dimensions"] == [{"Name": "service", "Value": "orders"}]


def test_alarms_deploy_on_aws_only_and_can_mail_someone() -> None:
    """Guards: the local stack runs no CloudWatch/SNS; the alarms must not break its deploy, and on AWS they
    must reach a person when an address is given."""
    conditions = template()["Conditions"]
    assert conditions["AlarmsEnabled"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::AccountId"}, "000000000000"]}]}
    for kind in ("AWS::CloudWatch::Alarm", "AWS::SNS::Topic"):
        assert {name: r.get("Condition") for name, r in resources(kind).items()} == dict.fromkeys(
            resources(kind), "AlarmsEnabled"
        )
    (subscription,) = resources("AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "AlarmEmailGiven"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert template()["Parameters"]["AlarmEmail"]["Default"] == ""


def test_the_api_stage_is_throttled() -> None:
    """Guards: without stage limits one client can take the account's whole Lambda concurrency."""
    (api,) = resources("AWS::Serverless::Api").values()
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in api["Properties"]["MethodSettings"]}
    default = settings[("/*", "*")]
    assert 0 < default["ThrottlingRateLimit"] <= default["ThrottlingBurstLimit"]
    for path in ("/~1auth~1signup", "/~1auth~1login"):
        assert settings[(path, "POST")]["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    throttled = api["Properties"]["GatewayResponses"]["THROTTLED"]
    assert throttled["StatusCode"] == "429"
    assert "TOO_MANY_REQUESTS" in throttled["ResponseTemplates"]["application/json"]


def _saga_functions() -> set[str]:
    """The functions an order under way depends on: consumers of the bus's queues, the outbox (the orders table's
    stream) and the payment workflow's tasks."""
    rule_queues = {_ref(t["Arn"]) for r in resources("AWS::Events::Rule").values() for t in r["Properties"]["Targets"]}
    saga = set()
    for name, function in _functions().items():
        for event in function["Properties"].get("Events", {}).values():
            props = event.get("Properties", {})
            if event["Type"] == "SQS" and _ref(props["Queue"]) in rule_queues:
                saga.add(name)
            if event["Type"] == "DynamoDB" and _ref(props["Stream"]) == "OrdersTable":
                saga.add(name)
    for machine in resources("AWS::Serverless::StateMachine").values():
        saga.update(_ref(v) for v in machine["Properties"]["DefinitionSubstitutions"].values())
    return {s for s in saga if s is not None}


def test_the_saga_keeps_its_own_concurrency() -> None:
    """Guards: a flood of sign-ups can use every unreserved execution; the saga's functions would be throttled,
    their queues would move messages to the DLQ after maxReceiveCount, and paid orders would fail. Each saga
    function reserves executions, and its queue never invokes it more often at once than that (an SQS source
    throttled by the reservation would count receives towards the DLQ)."""
    saga = _saga_functions()
    assert {"OnReplyFunction", "PublishOrderEventsFunction", "ConfirmOrderFunction"} <= saga
    problems = []
    for name in sorted(saga):
        props = _functions()[name]["Properties"]
        reserved = props.get("ReservedConcurrentExecutions")
        if reserved != {"Ref": "SagaReservedConcurrency"}:
            problems.append(f"{name}: no reserved concurrency")
        for event_name, event in props.get("Events", {}).items():
            if event["Type"] == "SQS" and event["Properties"].get("ScalingConfig", {}).get("MaximumConcurrency") != {
                "Ref": "SagaReservedConcurrency"
            }:
                problems.append(f"{name}/{event_name}: its queue may invoke it beyond its reservation")
    assert problems == []
    assert template()["Parameters"]["SagaReservedConcurrency"]["MinValue"] >= 2  # SQS' MaximumConcurrency minimum
