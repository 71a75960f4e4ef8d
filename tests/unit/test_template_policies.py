"""Least privilege, checked on template.yaml: every function's (and state machine's) effective policy — its
``Policies`` with SAM's policy templates expanded — is exactly what ``NEEDS`` below declares it uses, no more and no
less; nothing may ``Scan`` or name a wildcard resource unless declared here; every ``events:PutEvents`` carries an
``events:source`` condition equal to its own service's source (``buynest.<POWERTOOLS_SERVICE_NAME>``), so a
function that parses untrusted input (the image processor) cannot put ``OrderConfirmed`` or ``CouponReserved`` on
the bus.

LocalStack does not enforce IAM, so no e2e test can show a denial: this file is the proof on the template, and the
consumers' source checks (``BusConsumer``'s ``trusted`` map) are the runtime defence.

Adding a function: read its handler and the store methods it reaches, then add one entry to ``NEEDS`` with the
actions on the resources it touches (``allow``; ``keys=`` for the partition-key prefixes it may touch on a shared
table, ``publishes`` for the bus, ``SECRET`` to verify tokens). The failure message names the function and each
permission that differs. SAM's implicit policies (logs, X-Ray, the SQS poller and stream reader of an event
source) are not part of ``Policies`` and not checked here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from buynest.core.consumer import BusConsumer
from scripts.gen_events import EVENTS, routes
from tests.conftest import load_handler
from tests.template import resources, template

Resource = dict[str, Any]

# ---- the declared needs ----


@dataclass(frozen=True, order=True)
class Grant:
    """One permission: ``action`` on ``resource`` (the logical id of a template resource, plus the ARN's tail:
    ``OrdersTable/index/byUser``, ``ImagesBucket/images/*``), under ``condition`` (canonical text, "" for none)."""

    action: str
    resource: str
    condition: str = ""

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}" + (f" when {self.condition}" if self.condition else "")


def leading_keys(*patterns: str) -> str:
    return f"ForAllValues:StringLike dynamodb:LeadingKeys={','.join(sorted(patterns))}"


def allow(resource: str, *actions: str, keys: Iterable[str] = (), when: str = "") -> frozenset[Grant]:
    """``actions`` (``dynamodb:`` is assumed for a bare name) on ``resource``; ``keys``: the partition-key patterns
    (``USER#*``) the function is limited to on that table."""
    patterns = tuple(keys)
    condition = leading_keys(*patterns) if patterns else when
    return frozenset(Grant(a if ":" in a else f"dynamodb:{a}", resource, condition) for a in actions)


def publishes(service: str) -> frozenset[Grant]:
    """``events:PutEvents`` on the bus, for the service's own source only."""
    return allow("EventBus", "events:PutEvents", when=f"StringEquals events:source=buynest.{service}")


def needs(*parts: frozenset[Grant]) -> frozenset[Grant]:
    return frozenset().union(*parts)


# verifies bearer tokens (core.auth): the public keys and the account's role and token version (TokenVerifierPolicy)
SECRET = allow("AuthPublicKeys", "ssm:GetParameter") | allow(
    "UsersTable",
    "GetItem",
    when="ForAllValues:StringEquals dynamodb:Attributes=pk,role,tokenVersion; "
    "ForAllValues:StringLike dynamodb:LeadingKeys=USER#*; StringEqualsIfExists dynamodb:Select=SPECIFIC_ATTRIBUTES",
)
IMAGE_LINKS = allow("ImagesBucket/images/*", "s3:GetObject") | allow("ImagesBucket/thumbnails/*", "s3:GetObject")
START_PAYMENT = allow("PaymentStateMachine", "states:StartExecution")
CART_CATALOG = allow(
    "ProductsTable",
    "BatchGetItem",
    when="ForAllValues:StringEquals dynamodb:Attributes=catalog,name,price,productId,stock; "
    "StringEqualsIfExists dynamodb:Select=SPECIFIC_ATTRIBUTES",
)
IMAGE_OBJECTS = ("ImagesBucket/originals/*", "ImagesBucket/images/*", "ImagesBucket/thumbnails/*")

# Every function (and state machine) of template.yaml, and exactly what it may do. Keep it in template order.
NEEDS: dict[str, frozenset[Grant]] = {
    "HealthFunction": needs(),
    # ---- users (pk: USER#, EMAIL#, LOGIN#, POINTS#, EARN#): only the points owner touches points records, only
    # login touches the lock-out counters, and nothing but GetItem by key reads a user
    "SignupFunction": needs(allow("UsersTable", "PutItem", keys=["EMAIL#*", "USER#*"]), publishes("users")),
    "LoginFunction": needs(
        allow("UsersTable", "GetItem", keys=["EMAIL#*", "LOGIN#*", "USER#*"]),
        allow("UsersTable", "PutItem", "UpdateItem", "DeleteItem", keys=["LOGIN#*"]),
        allow("UsersTable", "UpdateItem", keys=["USER#*"]),  # re-hash the password
        allow("AuthSecret", "secretsmanager:GetSecretValue"),  # the signing key seeds: login alone holds them
        allow("AuthPublicKeys", "ssm:GetParameter", "ssm:PutParameter"),  # publishes the public keys it signs with
    ),
    "GetMeFunction": needs(allow("UsersTable", "GetItem", keys=["ADDRESS#*", "USER#*"]), SECRET),
    "PutAddressFunction": needs(
        allow("UsersTable", "ConditionCheckItem", keys=["USER#*"]),
        allow("UsersTable", "PutItem", keys=["ADDRESS#*"]),
        SECRET,
    ),
    "MakeAdminFunction": needs(
        allow("UsersTable", "GetItem", "PutItem", keys=["EMAIL#*", "USER#*"]),
        allow("UsersTable", "UpdateItem", keys=["USER#*"]),
        publishes("users"),  # UserSignedUp for an admin it creates
    ),
    # ---- products
    "CreateProductFunction": needs(allow("ProductsTable", "PutItem"), SECRET),
    "ListProductsFunction": needs(
        allow("ProductsTable/index/byCreated", "Query"),
        allow("ProductsTable/index/byCategory", "Query"),
        allow("SearchIndexTable/index/byNewest", "Query"),  # q and sort: the postings of one word, in order
        allow("SearchIndexTable/index/byPrice", "Query"),
        allow("ProductsTable", "BatchGetItem"),  # each page checked against the products as they are now
        IMAGE_LINKS,
    ),
    "IndexProductNamesFunction": needs(
        allow("SearchIndexTable", "GetItem", "PutItem", "DeleteItem", "ConditionCheckItem")
    ),
    "GetProductFunction": needs(allow("ProductsTable", "GetItem"), IMAGE_LINKS),
    "UpdateProductFunction": needs(allow("ProductsTable", "UpdateItem"), SECRET, IMAGE_LINKS),
    "DeleteProductFunction": needs(allow("ProductsTable", "DeleteItem"), SECRET),
    # ---- coupons (pk: CAMPAIGN#, USER#, ORDER#; the campaigns index is keyed CAMPAIGN)
    "CreateCouponFunction": needs(allow("CouponsTable", "PutItem", keys=["CAMPAIGN#*"]), SECRET),
    "ListCouponsFunction": needs(
        allow("CouponsTable/index/campaigns", "Query"),
        allow("CouponsTable", "BatchGetItem", keys=["CAMPAIGN#*"]),
        SECRET,
    ),
    "GetCouponFunction": needs(allow("CouponsTable", "GetItem", keys=["CAMPAIGN#*"]), SECRET),
    "IssueCouponFunction": needs(
        allow("CouponsTable", "BatchGetItem", keys=["CAMPAIGN#*", "USER#*"]),
        allow("CouponsTable", "GetItem", "UpdateItem", keys=["CAMPAIGN#*"]),
        allow("CouponsTable", "PutItem", keys=["USER#*"]),
        SECRET,
    ),
    "ListMyCouponsFunction": needs(allow("CouponsTable/index/byCouponId", "Query", keys=["USER#*"]), SECRET),
    "ExpireCouponsFunction": needs(
        allow("CouponsTable/index/sweepDue", "Query"),
        allow("CouponsTable/index/byCampaign", "Query"),
        allow("CouponsTable", "UpdateItem", keys=["CAMPAIGN#*", "USER#*"]),
    ),
    "OnOrderEventFunction": needs(
        allow("CouponsTable", "GetItem", "PutItem", keys=["ORDER#*"]),
        allow("CouponsTable", "UpdateItem", keys=["USER#*"]),
        allow("CouponsTable/index/byCouponId", "Query", keys=["USER#*"]),
        publishes("coupons"),
    ),
    # ---- cart (pk: CART#, APPLIED#); the catalog through the products table's read-only view (CartCatalogReadPolicy)
    "GetCartFunction": needs(allow("CartsTable", "GetItem", keys=["CART#*"]), CART_CATALOG, SECRET),
    "SetCartItemFunction": needs(allow("CartsTable", "GetItem", "PutItem", keys=["CART#*"]), CART_CATALOG, SECRET),
    "RemoveCartItemFunction": needs(allow("CartsTable", "GetItem", "PutItem", keys=["CART#*"]), CART_CATALOG, SECRET),
    "ClearCartFunction": needs(allow("CartsTable", "GetItem", "PutItem", keys=["CART#*"]), CART_CATALOG, SECRET),
    "CartOnOrderConfirmedFunction": needs(
        allow("CartsTable", "GetItem", "PutItem", "ConditionCheckItem", keys=["APPLIED#*", "CART#*"])
    ),
    # ---- notifications (pk: user#<userId> recipients, mail#<orderId>#<kind> once-markers)
    "NotificationsOnEventFunction": needs(
        allow("NotificationsTable", "GetItem", "PutItem", "UpdateItem", "DeleteItem"),
        allow("*", "ses:SendEmail", when="StringEquals ses:FromAddress=MailSender"),
    ),
    # ---- images
    "RequestImageUploadFunction": needs(
        allow("ProductsTable", "GetItem", "UpdateItem"), allow("ImagesBucket/originals/*", "s3:PutObject"), SECRET
    ),
    "DeleteImageFunction": needs(
        allow("ProductsTable", "UpdateItem"), *(allow(o, "s3:DeleteObject") for o in IMAGE_OBJECTS), SECRET
    ),
    "ProcessImageFunction": needs(
        allow("ProductsTable", "GetItem", "UpdateItem"),
        allow("ImagesBucket/originals/*", "s3:GetObject", "s3:DeleteObject"),
        allow("ImagesBucket/images/*", "s3:PutObject", "s3:DeleteObject"),
        allow("ImagesBucket/thumbnails/*", "s3:PutObject", "s3:DeleteObject"),
        publishes("images"),
    ),
    "OnProductRemovedFunction": needs(
        allow("ImagesBucket", "s3:ListBucket", when="StringLike s3:prefix=images/*,originals/*,thumbnails/*"),
        *(allow(o, "s3:DeleteObject") for o in IMAGE_OBJECTS),
    ),
    # ---- payments (one item per order)
    "AuthorizePaymentFunction": needs(allow("PaymentsTable", "GetItem", "UpdateItem")),
    "CapturePaymentFunction": needs(allow("PaymentsTable", "GetItem", "UpdateItem"), publishes("payments")),
    "RefundPaymentFunction": needs(allow("PaymentsTable", "GetItem", "UpdateItem"), publishes("payments")),
    "RecordPaymentFailureFunction": needs(allow("PaymentsTable", "UpdateItem"), publishes("payments")),
    "PaymentsOnOrderEventFunction": needs(allow("PaymentsTable", "GetItem", "UpdateItem"), publishes("payments")),
    # ---- orders
    "CreateOrderFunction": needs(
        allow("OrdersTable", "PutItem"),
        allow("IdempotencyTable", "GetItem", "PutItem", "UpdateItem", "DeleteItem"),  # Powertools idempotency
        allow("ProductsTable", "BatchGetItem"),  # the prices it snapshots
        allow(  # the cart's lines, for an order without items
            "CartsTable",
            "GetItem",
            when="ForAllValues:StringEquals dynamodb:Attributes=lines,pk; "
            "ForAllValues:StringLike dynamodb:LeadingKeys=CART#*; StringEqualsIfExists dynamodb:Select=SPECIFIC_ATTRIBUTES",
        ),
        allow(  # the saved address, for an order without shippingAddress
            "UsersTable",
            "GetItem",
            when="ForAllValues:StringEquals dynamodb:Attributes=city,country,line1,line2,phone,pk,postalCode,recipient; "
            "ForAllValues:StringLike dynamodb:LeadingKeys=ADDRESS#*; StringEqualsIfExists dynamodb:Select=SPECIFIC_ATTRIBUTES",
        ),
        SECRET,
    ),
    "GetOrderFunction": needs(allow("OrdersTable", "GetItem"), SECRET),
    "ListOrdersFunction": needs(allow("OrdersTable/index/byUser", "Query"), SECRET),
    "CancelOrderFunction": needs(allow("OrdersTable", "GetItem", "UpdateItem"), SECRET),
    "ShipOrderFunction": needs(allow("OrdersTable", "GetItem", "UpdateItem"), SECRET),
    "DeliverOrderFunction": needs(allow("OrdersTable", "GetItem", "UpdateItem"), SECRET),
    "ListDeskFunction": needs(allow("OrdersTable/index/desk", "Query"), SECRET),  # the order desk, no scan
    "PublishOrderEventsFunction": needs(
        publishes("orders"), allow("OrderEventsOutboxDLQ", "sqs:SendMessage"), allow("OrdersTable", "UpdateItem")
    ),
    "OnReplyFunction": needs(allow("OrdersTable", "GetItem", "UpdateItem"), START_PAYMENT, publishes("orders")),
    "ConfirmOrderFunction": needs(allow("OrdersTable", "GetItem", "UpdateItem")),
    "FailOrderFunction": needs(allow("OrdersTable", "GetItem", "UpdateItem")),
    "SweepOrdersFunction": needs(
        allow("OrdersTable/index/openOrders", "Query"),
        allow("OrdersTable", "GetItem", "UpdateItem"),
        START_PAYMENT,
        allow("PaymentStateMachine:*", "states:DescribeExecution"),
        publishes("orders"),
    ),
    "PaymentStateMachine": needs(
        *(
            allow(f"{name}*", "lambda:InvokeFunction")
            for name in (
                "AuthorizePaymentFunction",
                "CapturePaymentFunction",
                "RefundPaymentFunction",
                "RecordPaymentFailureFunction",
                "ConfirmOrderFunction",
                "FailOrderFunction",
            )
        )
    ),
    # ---- stats (pk: TOTALS, PRODUCT#, APPLIED#)
    "OnOrderSettledFunction": needs(
        allow("StatsTable", "PutItem", keys=["APPLIED#*"]),
        allow("StatsTable", "UpdateItem", keys=["PRODUCT#*", "TOTALS"]),
    ),
    "GetStatsFunction": needs(
        allow("StatsTable", "GetItem", keys=["TOTALS"]), allow("StatsTable/index/top", "Query"), SECRET
    ),
    # ---- products: stock (a reservation is RESERVATION#<orderId>; it never creates a product)
    "ProductsOnOrderEventFunction": needs(
        allow("ProductsTable", "GetItem", "UpdateItem"),
        allow("ProductsTable", "PutItem", keys=["RESERVATION#*"]),
        publishes("products"),
    ),
    # ---- users: points
    "UsersOnOrderEventFunction": needs(
        allow("UsersTable", "GetItem", "PutItem", "UpdateItem", keys=["EARN#*", "POINTS#*"]),
        allow("UsersTable", "GetItem", "UpdateItem", keys=["USER#*"]),  # the balance
        publishes("users"),
    ),
}

# Who may Scan, and who may name a wildcard resource ("*", or a table's every index): nobody yet. A function that
# truly needs one is listed here with the reason, besides declaring it in NEEDS.
MAY_SCAN: dict[str, str] = {}
MAY_USE_WILDCARDS: dict[str, str] = {
    # SES authorizes a send on the sender's and (in the sandbox) the recipients' identities; the condition pins
    # the sender to the stack's MailSender
    "NotificationsOnEventFunction": "ses:SendEmail from MailSender only",
}


# ---- reading the template's policies ----

_ACTIONS = {
    "dynamodb-crud": "GetItem DeleteItem PutItem Scan Query UpdateItem BatchWriteItem BatchGetItem DescribeTable "
    "ConditionCheckItem",
    "dynamodb-read": "GetItem Scan Query BatchGetItem DescribeTable",
    "dynamodb-write": "PutItem UpdateItem BatchWriteItem",
    "s3-read": "s3:GetObject s3:ListBucket s3:GetBucketLocation s3:GetObjectVersion s3:GetLifecycleConfiguration",
    "s3-write": "s3:PutObject s3:PutObjectAcl s3:PutLifecycleConfiguration",
    "sqs-poll": "sqs:ChangeMessageVisibility sqs:ChangeMessageVisibilityBatch sqs:DeleteMessage "
    "sqs:DeleteMessageBatch sqs:GetQueueAttributes sqs:ReceiveMessage",
}


def _table(name: str, actions: str, indexes: bool = True) -> frozenset[Grant]:
    return allow(name, *actions.split()) | (allow(f"{name}/index/*", *actions.split()) if indexes else frozenset())


# What each SAM policy template grants (github.com/aws/serverless-application-model, policy_templates.json), by
# the logical id its parameter names. A template missing here fails the test: add its expansion.
SAM_TEMPLATES: dict[str, Any] = {
    "DynamoDBCrudPolicy": lambda p: _table(p["TableName"], _ACTIONS["dynamodb-crud"]),
    "DynamoDBReadPolicy": lambda p: _table(p["TableName"], _ACTIONS["dynamodb-read"]),
    "DynamoDBWritePolicy": lambda p: _table(p["TableName"], _ACTIONS["dynamodb-write"], indexes=False),
    "EventBridgePutEventsPolicy": lambda p: allow(p["EventBusName"], "events:PutEvents"),
    "SQSSendMessagePolicy": lambda p: allow(p["QueueName"], "sqs:SendMessage*"),
    "SQSPollerPolicy": lambda p: allow(p["QueueName"], *_ACTIONS["sqs-poll"].split()),
    "StepFunctionsExecutionPolicy": lambda p: allow(p["StateMachineName"], "states:StartExecution"),
    "AWSSecretsManagerGetSecretValuePolicy": lambda p: allow(p["SecretArn"], "secretsmanager:GetSecretValue"),
    "LambdaInvokePolicy": lambda p: allow(f"{p['FunctionName']}*", "lambda:InvokeFunction"),
    "S3ReadPolicy": lambda p: (
        allow(p["BucketName"], *_ACTIONS["s3-read"].split())
        | allow(f"{p['BucketName']}/*", *_ACTIONS["s3-read"].split())
    ),
    "S3CrudPolicy": lambda p: (
        allow(p["BucketName"], *_ACTIONS["s3-read"].split(), *_ACTIONS["s3-write"].split())
        | allow(f"{p['BucketName']}/*", *_ACTIONS["s3-read"].split(), *_ACTIONS["s3-write"].split(), "s3:DeleteObject")
    ),
    "SSMParameterReadPolicy": lambda p: (
        allow("*", "ssm:DescribeParameters")
        | allow(f"parameter/{p['ParameterName']}", "ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath")
    ),
    "KMSDecryptPolicy": lambda p: allow(f"key/{p['KeyId']}", "kms:Decrypt"),
}

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z]+))?\}")


def logical(value: Any) -> str:
    """A policy resource (or template parameter) as the logical id it names plus the ARN's tail; "*" stays."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, Mapping) and "Fn::GetAtt" in value:
        ref = value["Fn::GetAtt"]
        name, attr = (ref[0], ref[1]) if isinstance(ref, list) else str(ref).split(".", 1)
        return name if attr in ("Arn", "Name", "QueueName") else f"{name}/{attr}"
    if isinstance(value, Mapping) and "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        first = next((m for m in _PLACEHOLDER.finditer(text) if m.group(1) in template()["Resources"]), None)
        if first is not None:
            return first.group(1) + text[first.end() :]
        return str(text)
    return json.dumps(value, sort_keys=True)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def canonical_condition(condition: Mapping[str, Any] | None) -> str:
    parts = []
    for operator, tests in sorted((condition or {}).items()):
        for key, value in sorted(tests.items()):
            parts.append(f"{operator} {key}={','.join(sorted(logical(v) for v in _listed(value)))}")
    return "; ".join(parts)


def statement_grants(statement: Mapping[str, Any]) -> frozenset[Grant]:
    if statement.get("Effect") != "Allow":
        return frozenset()
    actions = [str(a) for a in _listed(statement.get("Action", []))] + [
        f"NotAction:{a}" for a in _listed(statement.get("NotAction", []))
    ]
    targets = [logical(r) for r in _listed(statement.get("Resource", []))] + [
        f"NotResource:{logical(r)}" for r in _listed(statement.get("NotResource", []))
    ]
    condition = canonical_condition(statement.get("Condition"))
    return frozenset(Grant(a, r, condition) for a in actions for r in targets)


def effective(properties: Mapping[str, Any]) -> frozenset[Grant]:
    """What a function's (or state machine's) ``Policies`` grant; a ``Role`` of its own is a grant too (of the
    role, which this test cannot see into: declare it or, better, use ``Policies``)."""
    found: set[Grant] = set()
    if "Role" in properties:
        found.add(Grant("iam:role", logical(properties["Role"])))
    for policy in _listed(properties.get("Policies", [])):
        if isinstance(policy, str):
            found.add(Grant("managed-policy", policy))
            continue
        if set(policy) == {"Ref"} and policy["Ref"] in shared_policies():
            # a managed policy of this template, shared by several functions: what it grants, each of them is granted
            for statement in _listed(shared_policies()[policy["Ref"]].get("Statement", [])):
                found |= statement_grants(statement)
            continue
        for name, parameters in policy.items():
            if name == "Statement":
                for statement in _listed(parameters):
                    found |= statement_grants(statement)
            elif name in SAM_TEMPLATES:
                found |= SAM_TEMPLATES[name]({k: logical(v) for k, v in (parameters or {}).items()})
            else:
                found.add(Grant(f"unknown-policy-template:{name}", json.dumps(parameters, sort_keys=True)))
    return frozenset(found)


def shared_policies() -> dict[str, Mapping[str, Any]]:
    """The template's own managed policies that are attached only through functions' ``Policies`` (``!Ref``): their
    documents, by logical id. One attached to a role, user or group directly is not "shared" and fails the check."""
    return {
        name: resource["Properties"]["PolicyDocument"]
        for name, resource in resources("AWS::IAM::ManagedPolicy").items()
        if not any(resource["Properties"].get(k) for k in ("Roles", "Users", "Groups"))
    }


def principals() -> dict[str, Resource]:
    """Every function and state machine of the template, by logical id."""
    return {**resources("AWS::Serverless::Function"), **resources("AWS::Serverless::StateMachine")}


def service_of(resource: Resource) -> str | None:
    variables = (resource["Properties"].get("Environment") or {}).get("Variables") or {}
    service = variables.get("POWERTOOLS_SERVICE_NAME")
    return str(service) if service else None


def _wildcard(grant: Grant) -> bool:
    return "*" in grant.action.split(":")[-1] or grant.resource == "*" or grant.resource.endswith("/index/*")


# ---- the tests ----


def test_every_function_is_declared_once() -> None:
    present, declared = set(principals()), set(NEEDS)
    assert not present - declared, (
        f"functions with no declared needs: {sorted(present - declared)}: add each to NEEDS in "
        "tests/unit/test_template_policies.py with exactly what its handler and store use"
    )
    assert not declared - present, f"NEEDS names functions the template does not have: {sorted(declared - present)}"


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_each_function_has_exactly_the_permissions_it_needs(name: str) -> None:
    """Guards a policy that grants more than the function uses (a SAM *CrudPolicy lets GET /users/me scan every
    password hash) and one that lost what it uses (the function would fail on AWS, not on LocalStack)."""
    resource = principals().get(name)
    if resource is None:
        pytest.skip(f"{name} is not in the template (test_every_function_is_declared_once says so)")
    granted, declared = effective(resource["Properties"]), NEEDS[name]
    extra = sorted(map(str, granted - declared))
    missing = sorted(map(str, declared - granted))
    assert not extra and not missing, (
        f"{name}'s Policies differ from its declared needs (tests/unit/test_template_policies.py NEEDS):"
        + "".join(f"\n  extra permission: {g}" for g in extra)
        + "".join(f"\n  missing permission: {g}" for g in missing)
    )


def test_no_function_may_scan_unless_listed() -> None:
    scanners = {
        name: sorted(str(g) for g in effective(res["Properties"]) if g.action in ("dynamodb:Scan", "dynamodb:*", "*"))
        for name, res in principals().items()
    }
    unlisted = {name: grants for name, grants in scanners.items() if grants and name not in MAY_SCAN}
    assert not unlisted, f"functions that may Scan without being listed in MAY_SCAN: {unlisted}"


def test_no_wildcard_unless_listed() -> None:
    wild = {
        name: sorted(str(g) for g in effective(res["Properties"]) if _wildcard(g)) for name, res in principals().items()
    }
    unlisted = {name: grants for name, grants in wild.items() if grants and name not in MAY_USE_WILDCARDS}
    assert not unlisted, f"wildcard actions or resources not listed in MAY_USE_WILDCARDS: {unlisted}"


def test_every_put_events_is_limited_to_the_functions_own_source() -> None:
    """Guards the forged event: without the condition the image processor (it parses untrusted files) could put
    ``OrderConfirmed`` with any ``pointsEarned``, or ``CouponReserved`` with any discount."""
    problems = []
    for name, res in sorted(principals().items()):
        expected = f"StringEquals events:source=buynest.{service_of(res)}"
        for grant in sorted(effective(res["Properties"])):
            if grant.action not in ("events:PutEvents", "events:*", "*"):
                continue
            if grant.action != "events:PutEvents" or grant.resource != "EventBus" or grant.condition != expected:
                problems.append(f"{name}: {grant} (needs events:PutEvents on EventBus when {expected})")
    assert not problems, "PutEvents not limited to the publisher's own source:\n  " + "\n  ".join(problems)


def test_every_publisher_may_put_the_events_it_publishes() -> None:
    """Each event of the registry (scripts/gen_events.py) can be put by every function that publishes it, with the
    event's own source: a condition naming another service would silently break the saga on AWS."""
    by_handler = {
        f"{str(res['Properties']['CodeUri']).rstrip('/')}/{str(res['Properties']['Handler']).rsplit('.', 1)[0]}.py": (
            name,
            res,
        )
        for name, res in resources("AWS::Serverless::Function").items()
    }
    problems = []
    for event in EVENTS:
        for handler in event.published_by:
            name, res = by_handler[handler]
            if not publishes(event.source.removeprefix("buynest.")) <= effective(res["Properties"]):
                problems.append(f"{name} publishes {event.detail_type} but may not put events from {event.source}")
    assert not problems, "\n".join(problems)


def test_no_iam_resource_bypasses_this_check() -> None:
    """Roles and policies of their own would grant what NEEDS never sees."""
    kinds = ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
    found = sorted(name for kind in kinds for name in resources(kind) if name not in shared_policies())
    assert not found, f"IAM resources outside the functions' Policies (give the function Policies instead): {found}"


def test_the_checker_sees_what_a_sam_crud_policy_grants() -> None:
    """The check itself: DynamoDBCrudPolicy is read as Scan on the table and on every index, and an unconditioned
    EventBridgePutEventsPolicy as PutEvents without a source."""
    crud = effective({"Policies": [{"DynamoDBCrudPolicy": {"TableName": {"Ref": "UsersTable"}}}]})
    assert Grant("dynamodb:Scan", "UsersTable") in crud
    assert Grant("dynamodb:Scan", "UsersTable/index/*") in crud
    assert not crud <= NEEDS["GetMeFunction"]
    put = effective({"Policies": [{"EventBridgePutEventsPolicy": {"EventBusName": {"Ref": "EventBus"}}}]})
    assert put == {Grant("events:PutEvents", "EventBus")}
    assert not put <= NEEDS["ProcessImageFunction"]
    index = {"Fn::Sub": "${OrdersTable.Arn}/index/byUser"}
    assert logical(index) == "OrdersTable/index/byUser"
    assert logical({"Fn::Sub": "arn:aws:s3:::${ImagesBucket}/images/*"}) == "ImagesBucket/images/*"


# ---- forged events: the bus rules and the consumers trust each fact only from its owner ----


@cache
def bus_consumer(handler: str) -> BusConsumer:
    """The ``BusConsumer`` of a handler file of template.yaml (``functions/<service>/<name>.py``)."""
    consumer = load_handler(handler.removeprefix("functions/").removesuffix(".py")).consumer
    assert isinstance(consumer, BusConsumer), f"{handler}: its bus events must go through core's BusConsumer"
    return consumer


def pattern_branches(pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A pattern as the plain patterns it is the union of (each ``$or`` branch with the keys around it)."""
    if "$or" not in pattern:
        return [dict(pattern)]
    rest = {k: v for k, v in pattern.items() if k != "$or"}
    return [b for branch in pattern["$or"] for b in pattern_branches({**rest, **branch})]


def bus_rules() -> list[tuple[str, dict[str, Any], str]]:
    """(rule, its pattern, the handler reading its target) for every rule on the buynest bus."""
    patterns = {name: res["Properties"]["EventPattern"] for name, res in resources("AWS::Events::Rule").items()}
    return [(r.rule, patterns[r.rule], r.consumer) for r in routes()]


def test_every_bus_rule_routes_each_event_only_from_the_source_its_consumer_trusts() -> None:
    """Guards the forged event at the bus: a rule whose pattern lets ``CouponReserved`` in from any service (the old
    replies rule took every reply from products, coupons or users alike) hands forged facts to the consumer."""
    problems = []
    for rule, pattern, handler in bus_rules():
        consumer = bus_consumer(handler)
        for branch in pattern_branches(pattern):
            sources, kinds = branch.get("source"), branch.get("detail-type")
            if not sources or not kinds:
                problems.append(f"{rule}: a branch without both source and detail-type: {branch}")
                continue
            problems += [
                f"{rule} routes {kind} from {source} to {handler}, which trusts it only from "
                f"{consumer.trusted.get(kind)}"
                for source in sources
                for kind in kinds
                if not consumer.trusts(source, kind)
            ]
    assert not problems, "\n".join(problems)


def test_every_event_a_consumer_is_routed_comes_from_the_source_it_trusts() -> None:
    """The other way round: each real event (the registry of scripts/gen_events.py) that a rule delivers is one
    its consumer trusts, so the source checks never drop the saga's own events."""
    found = routes()
    problems = [
        f"{route.consumer} is routed {event.detail_type} from {event.source} but drops it"
        for route in found
        for event in EVENTS
        if route.matches(event) and not bus_consumer(route.consumer).trusts(event.source, event.detail_type)
    ]
    assert not problems, "\n".join(problems)
    assert {route.consumer for route in found} == {handler for _, _, handler in bus_rules()}, (
        "every rule's target is read by a consumer"
    )
