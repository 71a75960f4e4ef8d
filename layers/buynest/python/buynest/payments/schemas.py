"""Inputs and outputs of the payment tasks that Step Functions invokes (``arn:aws:states:::lambda:invoke``: the
task input is the ``Payload``, the returned dict its result).

Inputs are strict about the fields they read (an amount must be a JSON integer, never a float or a string) and
ignore the others, so a state machine may pass its whole state. Anything malformed is ``PaymentInputError``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from buynest.core.payment import MAX_AMOUNT
from buynest.core.workflow import lift_payment_id
from buynest.payments.domain import Payment, PaymentInputError, RefundOutcome
from buynest.payments.messages import FailureReason

Id = Annotated[str, Field(min_length=1, max_length=128)]
MAX_LOGGED_CAUSE = 2000


class TaskModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, strict=True, extra="ignore")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class AuthorizeInput(TaskModel):
    order_id: Id
    user_id: Id
    amount: Annotated[int, Field(gt=0, le=MAX_AMOUNT)]
    token_kind: Annotated[str, Field(min_length=1, max_length=32)]  # the card token's kind, never the token


class CaptureInput(TaskModel):
    order_id: Id
    payment_id: Id

    @model_validator(mode="before")
    @classmethod
    def _lift(cls, data: Any) -> Any:
        return lift_payment_id(data)


class RefundInput(TaskModel):
    order_id: Id
    reason: Annotated[str, Field(max_length=200)] | None = None


class TaskError(BaseModel):
    """The error a ``Catch`` put in the state (``{"Error", "Cause"}``)."""

    model_config = ConfigDict(extra="ignore")

    error: Annotated[str, Field(alias="Error", max_length=256)]
    cause: Annotated[str | None, Field(alias="Cause")] = None


class RecordFailureInput(TaskModel):
    order_id: Id
    reason: FailureReason
    error: TaskError | Annotated[str, Field(max_length=256)] | None = None

    def error_name(self) -> str | None:
        """The error's name only (a ``Cause`` may hold a stack trace: it is logged, never stored)."""
        return self.error.error if isinstance(self.error, TaskError) else self.error

    def error_cause(self) -> str | None:
        """The start of the error's ``Cause``, for the log."""
        cause = self.error.cause if isinstance(self.error, TaskError) else None
        return cause[:MAX_LOGGED_CAUSE] if cause else None


class AuthorizeOutput(TaskModel):
    payment_id: str
    status: Literal["AUTHORIZED"] = "AUTHORIZED"
    amount: int

    @classmethod
    def of(cls, payment: Payment) -> AuthorizeOutput:
        return cls(payment_id=payment.payment_id, amount=payment.amount)


class CaptureOutput(TaskModel):
    payment_id: str
    status: Literal["CAPTURED"] = "CAPTURED"
    amount: int

    @classmethod
    def of(cls, payment: Payment) -> CaptureOutput:
        return cls(payment_id=payment.payment_id, amount=payment.amount)


class RefundOutput(TaskModel):
    """``amount`` is the payment's amount (0 when the order has none); ``paymentId`` is null when it has none."""

    order_id: str
    payment_id: str | None
    status: RefundOutcome
    amount: int


class RecordFailureOutput(TaskModel):
    order_id: str
    reason: FailureReason


def describe(exc: ValidationError) -> str:
    """One sentence naming the first offending field, e.g. ``amount: Input should be greater than 0``."""
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(part) for part in err.get("loc", ()))
    if err.get("type") == "missing":
        return f"{loc}: field is required"
    return f"{loc}: {err.get('msg', 'is invalid')}" if loc else str(err.get("msg", "task input is invalid"))


def parse_task_input[M: BaseModel](model: type[M], event: Any) -> M:
    """The task input as ``model``; ``PaymentInputError`` naming the field when it does not fit."""
    if not isinstance(event, dict):
        raise PaymentInputError(f"task input must be a JSON object, got {type(event).__name__}")
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        raise PaymentInputError(describe(exc)) from exc
