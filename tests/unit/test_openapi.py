"""openapi.yaml is what scripts/gen_openapi.py writes, covers exactly the template's API operations, and describes
what the handlers really answer: each scenario below drives real handlers in-process on the unit-test fakes and
checks every response (status documented, body valid against the documented schema, error code listed)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from typing import Any, get_args

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

import buynest.orders.runtime as orders_runtime
from buynest.core.auth import ROLES, TokenService
from buynest.core.lazy import Lazy
from buynest.coupons.domain import DISCOUNT_TYPES, iso_from_epoch, normalize_code
from buynest.coupons.runtime import set_coupon_service
from buynest.coupons.schemas import CreateCoupon
from buynest.coupons.service import ISSUE_BACKOFF, CouponService
from buynest.images.domain import READY, STATUSES
from buynest.images.runtime import set_image_service
from buynest.images.service import ImageService
from buynest.orders.runtime import set_order_service
from buynest.orders.schemas import PlaceOrder
from buynest.orders.service import OrderService
from buynest.products.runtime import set_product_service
from buynest.products.schemas import UpdateProduct
from buynest.products.service import ProductService
from buynest.stats.runtime import set_stats_store
from buynest.stats.store import DynamoStatsStore
from buynest.users.service import UserService
from scripts import gen_openapi, openapi_models
from tests.conftest import api_event, call, load_handler
from tests.template import resources
from tests.unit.coupon_fakes import FakeCouponRepository, FakePublisher
from tests.unit.fakes import FakeImageLinks, FakeImageRepository, FakeObjectStorage, FakeProductRepository
from tests.unit.order_fakes import FakeCatalog, FakeOrderRepository, FakeWorkflow

METHODS = ("get", "put", "post", "patch", "delete")


@cache
def document() -> dict[str, Any]:
    return dict(yaml.safe_load(gen_openapi.OPENAPI.read_text()))


@cache
def validator(pointer: str) -> Any:
    """A validator for one documented schema, resolving its ``$ref``s inside the document's components."""
    schema = {"$ref": pointer, "components": document()["components"]}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


class Contract:
    """Checks handler responses against the document and remembers which (operation, status) it saw."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, int]] = set()

    def check(self, method: str, path: str, status: int, body: Any) -> Any:
        op = document()["paths"][path][method.lower()]
        documented = op["responses"]
        assert str(status) in documented, f"{method} {path} answered {status}, documented: {sorted(documented)}"
        response = documented[str(status)]
        if body is None:
            assert "content" not in response, f"{method} {path} {status}: a body is documented, none was sent"
        else:
            pointer = response["content"]["application/json"]["schema"]["$ref"]
            errors = [f"{e.json_path}: {e.message}" for e in validator(pointer).iter_errors(body)]
            assert not errors, f"{method} {path} {status} breaks {pointer}: {errors} in {body}"
            if status >= 400:
                assert body["error"]["code"] in response["x-error-codes"], (method, path, status, body)
        self.seen.add((method, path, status))
        return body

    def __call__(self, module: Any, method: str, path: str, resource: str | None = None, **kw: Any) -> tuple[int, Any]:
        """Call a handler with an API Gateway event for ``resource`` (the documented path) and check the answer."""
        template = resource or path
        match = re.fullmatch(re.sub(r"{\w+}", "([^/]+)", template), path)
        assert match, (template, path)
        params = dict(zip(re.findall(r"{(\w+)}", template), match.groups(), strict=True))
        status, body = call(module, api_event(method, path, template, path_params=params or None, **kw))
        self.check(method, template, status, body)
        return status, body


@pytest.fixture
def contract() -> Contract:
    return Contract()


# ---------- the document itself ----------


def test_openapi_yaml_is_what_the_generator_writes() -> None:
    assert gen_openapi.OPENAPI.read_text() == gen_openapi.render(), "openapi.yaml is stale: run `make openapi`"


def test_every_api_operation_of_the_template_is_documented_and_nothing_else() -> None:
    in_template = {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for function in resources("AWS::Serverless::Function").values()
        for event in (function["Properties"].get("Events") or {}).values()
        if event["Type"] == "Api"
    }
    documented = {(m.upper(), p) for p, item in document()["paths"].items() for m in item if m in METHODS}
    assert documented == in_template


def test_every_operation_documents_its_errors_with_the_error_schema() -> None:
    error = {"$ref": "#/components/schemas/Error"}
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if op.get("security"):
                assert "401" in op["responses"], (method, path)
            if "{" in path:
                assert "404" in op["responses"], (method, path)
            if "requestBody" in op or any(p["in"] in ("query", "header") for p in op.get("parameters", [])):
                assert "400" in op["responses"], (method, path)
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == error, (method, path, status)
                    assert response["x-error-codes"], (method, path, status)


def test_the_contract_statuses_are_documented() -> None:
    """The contract's tables, operation by operation (docs/api-contract.md)."""
    expected = {
        ("post", "/auth/signup"): {"201", "400", "409"},
        ("post", "/auth/login"): {"200", "400", "401", "429"},
        ("get", "/users/me"): {"200", "401"},
        ("post", "/products"): {"201", "400", "401", "403"},
        ("get", "/products"): {"200", "400"},
        ("get", "/products/{productId}"): {"200", "404"},
        ("patch", "/products/{productId}"): {"200", "400", "401", "403", "404"},
        ("delete", "/products/{productId}"): {"204", "401", "403", "404"},
        ("post", "/products/{productId}/images"): {"201", "400", "401", "403", "404"},
        ("post", "/coupons"): {"201", "400", "401", "403", "409"},
        ("post", "/coupons/{code}/issue"): {"201", "404", "409", "410"},
        ("get", "/users/me/coupons"): {"200", "401"},
        ("post", "/orders"): {"202", "400", "401", "404", "422"},
        ("get", "/orders/{orderId}"): {"200", "401", "404"},
        ("get", "/orders"): {"200", "401"},
        ("post", "/orders/{orderId}/cancel"): {"200", "404", "409"},
        ("get", "/admin/stats"): {"200", "401", "403"},
    }
    for (method, path), statuses in expected.items():
        documented = set(document()["paths"][path][method]["responses"])
        assert statuses <= documented, (method, path, statuses - documented)
    idempotency = document()["paths"]["/orders"]["post"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in idempotency] == [("Idempotency-Key", "header", True)]


def test_the_response_models_name_the_domain_values() -> None:
    """The Literal types in scripts/openapi_models.py are the domain's own tuples."""
    assert get_args(openapi_models.DiscountType) == DISCOUNT_TYPES
    assert get_args(openapi_models.ImageStatus) == STATUSES
    assert get_args(openapi_models.Role) == ROLES


def test_the_refinements_match_what_the_request_models_accept() -> None:
    """What gen_openapi._refine adds to the generated schemas is what the models' validators do."""
    update = validator("#/components/schemas/UpdateProduct")
    for body in ({}, {"name": None}, {"price": None}):
        assert not update.is_valid(body)
        with pytest.raises(ValidationError):
            UpdateProduct.model_validate_json(json.dumps(body))
    assert update.is_valid({"price": 10}) and UpdateProduct.model_validate_json('{"price": 10}')
    code = validator("#/components/schemas/CreateCoupon")
    base = {"discountType": "FIXED", "value": 1000, "totalQuantity": 5, "expiresAt": "2099-01-01T00:00:00Z"}
    for raw in ("abc", " WELCOME-10 ", "a_b", "ab", "x" * 33, "AB C", "ÄBC", "abc!"):
        assert code.is_valid({**base, "code": raw}) == (normalize_code(raw) is not None), raw
        try:
            CreateCoupon.model_validate_json(json.dumps({**base, "code": raw}))
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == (normalize_code(raw) is not None), raw


@pytest.mark.parametrize("model", gen_openapi.request_models(), ids=lambda m: m.__name__)
def test_every_request_body_has_an_example_its_model_accepts(model: type[BaseModel]) -> None:
    examples = document()["components"]["schemas"][model.__name__]["examples"]
    for example in examples:
        assert validator(f"#/components/schemas/{model.__name__}").is_valid(example)
        model.model_validate_json(json.dumps(example))


@pytest.mark.parametrize(
    ("pointer", "body"),
    [
        ("PlaceOrder", {"items": [{"productId": "P-1", "quantity": 1}], "payment": {"method": "card", "token": "t"}}),
        ("CreateProduct", {"name": "Tea", "price": 0, "stock": 0, "category": "tea"}),
        ("SignupRequest", {"email": "a@b.co", "password": "12345678", "name": "A"}),
        ("RequestUpload", {"contentType": "image/png", "contentLength": 1}),
    ],
)
def test_documented_request_schemas_use_the_wire_names(pointer: str, body: dict[str, Any]) -> None:
    assert validator(f"#/components/schemas/{pointer}").is_valid(body)
    assert not validator(f"#/components/schemas/{pointer}").is_valid({**body, "unknown": 1})


# ---------- real handler answers ----------

signup = load_handler("users/signup")
login = load_handler("users/login")
get_me = load_handler("users/get_me")
create_product = load_handler("products/create_product")
list_products = load_handler("products/list_products")
get_product = load_handler("products/get_product")
update_product = load_handler("products/update_product")
delete_product = load_handler("products/delete_product")
request_upload = load_handler("images/request_upload")
delete_image = load_handler("images/delete_image")
create_coupon = load_handler("coupons/create_coupon")
list_coupons = load_handler("coupons/list_coupons")
get_coupon = load_handler("coupons/get_coupon")
issue_coupon = load_handler("coupons/issue_coupon")
list_my_coupons = load_handler("coupons/list_my_coupons")
create_order = load_handler("orders/create_order")
get_order = load_handler("orders/get_order")
list_orders = load_handler("orders/list_orders")
cancel_order = load_handler("orders/cancel_order")
get_stats = load_handler("stats/get_stats")
get_health = load_handler("health/get_health")

PRODUCT = {"name": "Green tea", "description": "Jeju sencha", "price": 15000, "stock": 10, "category": "tea"}


def test_users_answers(contract: Contract, users: UserService) -> None:
    body = {"email": "kim@example.com", "password": "password1", "name": "Kim"}
    contract(signup, "POST", "/auth/signup", body=body)
    assert contract(signup, "POST", "/auth/signup", body=body)[0] == 409
    assert contract(signup, "POST", "/auth/signup", body={**body, "email": "nope"})[0] == 400
    assert contract(login, "POST", "/auth/login", body={"email": "kim@example.com", "password": "wrong-one"})[0] == 401
    status, token = contract(login, "POST", "/auth/login", body={"email": "kim@example.com", "password": "password1"})
    assert status == 200
    assert contract(get_me, "GET", "/users/me", token=token["token"])[0] == 200
    assert contract(get_me, "GET", "/users/me")[0] == 401


def test_products_and_images_answers(
    contract: Contract, product_repo: FakeProductRepository, admin_token: str, customer_token: str
) -> None:
    image_repo, storage = FakeImageRepository(product_repo), FakeObjectStorage()
    set_product_service(ProductService(product_repo, FakeImageLinks()))
    set_image_service(ImageService(image_repo, storage))
    try:
        status, product = contract(create_product, "POST", "/products", body=PRODUCT, token=admin_token)
        assert status == 201
        assert contract(create_product, "POST", "/products", body=PRODUCT, token=customer_token)[0] == 403
        assert contract(create_product, "POST", "/products", body={**PRODUCT, "price": -1}, token=admin_token)[0] == 400
        pid = product["productId"]
        path = f"/products/{pid}"
        images_path = f"{path}/images"
        png = {"contentType": "image/png", "contentLength": 20_000}
        status, ticket = contract(request_upload, "POST", images_path, "/products/{productId}/images", body=png,
                                  token=admin_token)  # fmt: skip
        assert status == 201
        gif = {**png, "contentType": "image/gif"}
        assert contract(request_upload, "POST", images_path, "/products/{productId}/images", body=gif,
                        token=admin_token)[1]["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"  # fmt: skip
        pending = contract(request_upload, "POST", images_path, "/products/{productId}/images", body=png,
                           token=admin_token)[1]  # fmt: skip
        record = image_repo.get(pid, ticket["imageId"])
        assert record is not None
        image_repo.finish(
            pid, replace(record, status=READY, width=640, height=480, key="images/k", thumbnail_key="t/k")
        )
        status, shown = contract(get_product, "GET", path, "/products/{productId}")
        assert status == 200 and {i["status"] for i in shown["images"]} == {"READY", "PENDING"}
        assert contract(get_product, "GET", "/products/NOPE", "/products/{productId}")[0] == 404
        assert contract(list_products, "GET", "/products", query={"limit": "1"})[0] == 200
        assert contract(list_products, "GET", "/products", query={"limit": "0"})[0] == 400
        assert contract(list_products, "GET", "/products", query={"category": "tea", "color": "x"})[0] == 400
        patch = {"price": 9000}
        assert contract(update_product, "PATCH", path, "/products/{productId}", body=patch, token=admin_token)[0] == 200
        assert contract(update_product, "PATCH", path, "/products/{productId}", body={}, token=admin_token)[0] == 400
        image = f"{images_path}/{pending['imageId']}"
        resource = "/products/{productId}/images/{imageId}"
        assert contract(delete_image, "DELETE", image, resource, token=admin_token)[0] == 204
        assert contract(delete_image, "DELETE", image, resource, token=admin_token)[0] == 404
        assert contract(delete_product, "DELETE", path, "/products/{productId}", token=customer_token)[0] == 403
        assert contract(delete_product, "DELETE", path, "/products/{productId}", token=admin_token)[0] == 204
        assert contract(delete_product, "DELETE", path, "/products/{productId}", token=admin_token)[0] == 404
        assert contract(delete_product, "DELETE", path, "/products/{productId}")[0] == 401
    finally:
        set_product_service(None)
        set_image_service(None)


@pytest.fixture
def coupons(tokens: TokenService) -> Iterator[CouponService]:
    service = CouponService(
        FakeCouponRepository(), backoff=replace(ISSUE_BACKOFF, sleep=lambda _: None, jitter=lambda lo, hi: hi)
    )
    set_coupon_service(service)
    yield service
    set_coupon_service(None)


def test_coupons_answers(
    contract: Contract, coupons: CouponService, tokens: TokenService, admin_token: str, customer_token: str
) -> None:
    campaign = {"code": "welcome10", "discountType": "PERCENT", "value": 10, "totalQuantity": 1,
                "expiresAt": iso_from_epoch(int(time.time()) + 3600), "minOrderAmount": 10_000}  # fmt: skip
    assert contract(create_coupon, "POST", "/coupons", body=campaign, token=admin_token)[0] == 201
    assert contract(create_coupon, "POST", "/coupons", body=campaign, token=admin_token)[0] == 409
    assert contract(create_coupon, "POST", "/coupons", body={**campaign, "value": 500}, token=admin_token)[0] == 400
    assert contract(list_coupons, "GET", "/coupons", token=admin_token)[0] == 200
    assert contract(get_coupon, "GET", "/coupons/WELCOME10", "/coupons/{code}", token=admin_token)[0] == 200
    assert contract(get_coupon, "GET", "/coupons/WELCOME10", "/coupons/{code}", token=customer_token)[0] == 403
    issue = "/coupons/{code}/issue"
    assert contract(issue_coupon, "POST", "/coupons/WELCOME10/issue", issue, token=customer_token)[0] == 201
    assert contract(issue_coupon, "POST", "/coupons/WELCOME10/issue", issue, token=customer_token)[0] == 409
    other = tokens.issue("01OTHER", "customer")
    assert contract(issue_coupon, "POST", "/coupons/WELCOME10/issue", issue, token=other)[1]["error"]["code"] == (
        "SOLD_OUT"
    )
    assert contract(issue_coupon, "POST", "/coupons/NOSUCH/issue", issue, token=customer_token)[0] == 404
    assert contract(list_my_coupons, "GET", "/users/me/coupons", token=customer_token)[0] == 200
    assert contract(list_my_coupons, "GET", "/users/me/coupons", query={"cursor": "x"}, token=customer_token)[0] == 400


class _NoIdempotencyConfig:
    def register_lambda_context(self, context: Any) -> None:
        return None


@pytest.fixture
def orders(tokens: TokenService, monkeypatch: pytest.MonkeyPatch) -> Iterator[OrderService]:
    """The orders service on fakes; POST /orders without the DynamoDB idempotency store (the integration tests
    cover it), placing straight through the service as the idempotent wrapper does on a first request."""
    service = OrderService(FakeOrderRepository(), FakeCatalog({"tea": 12000}), FakeWorkflow(), FakePublisher())
    set_order_service(service)

    def place(request: dict[str, Any]) -> dict[str, Any]:
        return service.place(request["userId"], PlaceOrder.model_validate(request["body"])).public()

    monkeypatch.setattr(orders_runtime, "_idempotent", Lazy(lambda: (_NoIdempotencyConfig(), place)))
    yield service
    set_order_service(None)


def test_orders_answers(
    contract: Contract, orders: OrderService, tokens: TokenService, admin_token: str, customer_token: str
) -> None:
    body = {"items": [{"productId": "tea", "quantity": 2}], "payment": {"method": "card", "token": "tok_ok"}}
    key = {"Idempotency-Key": "k-1"}
    status, order = contract(create_order, "POST", "/orders", body=body, headers=key, token=customer_token)
    assert status == 202
    assert contract(create_order, "POST", "/orders", body=body, token=customer_token)[0] == 400
    assert contract(create_order, "POST", "/orders", body=body, headers=key, token=admin_token)[0] == 403
    ghost = {**body, "items": [{"productId": "ghost", "quantity": 1}]}
    assert contract(create_order, "POST", "/orders", body=ghost, headers=key, token=customer_token)[0] == 404
    oid = order["orderId"]
    orders.on_reply("StockReserved", {"orderId": oid}, oid)
    orders.confirm(oid, "pay-1")
    failed = contract(create_order, "POST", "/orders", body=body, headers={"Idempotency-Key": "k-2"},
                      token=customer_token)[1]  # fmt: skip
    orders.on_reply("StockRejected", {"orderId": failed["orderId"], "reason": "X"}, failed["orderId"])
    path = f"/orders/{oid}"
    assert contract(get_order, "GET", path, "/orders/{orderId}", token=customer_token)[1]["status"] == "CONFIRMED"
    assert contract(get_order, "GET", path, "/orders/{orderId}", token=admin_token)[0] == 200
    assert contract(get_order, "GET", path, "/orders/{orderId}", token=tokens.issue("01BOB", "customer"))[0] == 404
    status, page = contract(list_orders, "GET", "/orders", token=customer_token)
    assert status == 200 and {o["status"] for o in page["items"]} == {"CONFIRMED", "FAILED"}
    cancel = "/orders/{orderId}/cancel"
    assert contract(cancel_order, "POST", f"{path}/cancel", cancel, token=customer_token)[1]["status"] == "CANCELLED"
    assert contract(cancel_order, "POST", f"{path}/cancel", cancel, token=customer_token)[0] == 409
    assert contract(cancel_order, "POST", f"{path}/cancel", cancel)[0] == 401


class FakeStatsClient:
    """The two DynamoDB calls ``DynamoStatsStore.read`` makes, answered from canned items."""

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {"Item": {"ordersConfirmed": {"N": "3"}, "ordersFailed": {"N": "1"}, "revenue": {"N": "45000"}}}

    def query(self, **_: Any) -> dict[str, Any]:
        return {"Items": [{"productId": {"S": "P1"}, "name": {"S": "Tea"}, "quantity": {"N": "4"}},
                          {"productId": {"S": "P2"}, "name": {"S": "Cup"}, "quantity": {"N": "0"}}]}  # fmt: skip


def test_stats_answers(contract: Contract, admin_token: str, customer_token: str) -> None:
    set_stats_store(DynamoStatsStore("stats", client=FakeStatsClient()))
    try:
        status, stats = contract(get_stats, "GET", "/admin/stats", token=admin_token)
        assert status == 200 and stats["topProducts"] == [{"productId": "P1", "name": "Tea", "quantity": 4}]
        assert contract(get_stats, "GET", "/admin/stats", token=customer_token)[0] == 403
    finally:
        set_stats_store(None)


def test_health_answers(contract: Contract) -> None:
    assert contract(get_health, "GET", "/health") == (200, {"status": "ok"})
