"""The payment provider simulator's pure rules: what each test token does, the order's idempotency key, and which
transitions capture and refund make."""

from __future__ import annotations

from dataclasses import replace

import pytest

from buynest.core.errors import Conflict, InvalidInput, status_for
from buynest.core.payment import TokenKind, token_kind
from buynest.payments.domain import (
    DeclineCode,
    Payment,
    PaymentDeclined,
    PaymentInputError,
    PaymentStateError,
    PaymentStatus,
    PaymentTransientError,
    RefundOutcome,
    Verdict,
    capturable,
    decide,
    refund_outcome,
    refund_step,
)

AT = "2026-11-27T10:00:00Z"


def payment(status: PaymentStatus, **overrides: object) -> Payment:
    fields: dict[str, object] = {
        "order_id": "o1",
        "payment_id": "p1",
        "user_id": "u1",
        "amount": 10_000,
        "token_kind": TokenKind.OK,
        "status": status,
        "attempts": 1,
        "created_at": AT,
        "updated_at": AT,
    }
    fields.update(overrides)
    return Payment(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("tok_ok", TokenKind.OK),
        ("tok_decline", TokenKind.DECLINE),
        ("tok_flaky", TokenKind.FLAKY),
        ("tok_down", TokenKind.DOWN),
        ("4242424242424242", TokenKind.UNKNOWN),
        ("TOK_OK", TokenKind.UNKNOWN),
        ("unknown", TokenKind.UNKNOWN),
    ],
)
def test_tokens_are_read_as_their_kind_and_anything_else_is_an_unknown_card(token: str, kind: TokenKind) -> None:
    assert token_kind(token) is kind


def test_each_test_token_gets_the_contracts_answer() -> None:
    assert decide(TokenKind.OK, 1).verdict == Verdict.APPROVE
    assert decide(TokenKind.DECLINE, 1) == decide(TokenKind.DECLINE, 5)
    assert decide(TokenKind.DECLINE, 1).verdict == Verdict.DECLINE
    assert decide(TokenKind.DECLINE, 1).reason == DeclineCode.GENERIC_DECLINE
    assert decide(TokenKind.UNKNOWN, 1).verdict == Verdict.DECLINE
    assert decide(TokenKind.UNKNOWN, 1).reason == DeclineCode.UNKNOWN_CARD
    assert {decide(TokenKind.DOWN, n).verdict for n in range(1, 20)} == {Verdict.TRANSIENT}


def test_flaky_fails_transiently_twice_then_succeeds_on_the_third_attempt() -> None:
    verdicts = [decide(TokenKind.FLAKY, n).verdict for n in range(1, 6)]
    assert verdicts == [Verdict.TRANSIENT, Verdict.TRANSIENT, Verdict.APPROVE, Verdict.APPROVE, Verdict.APPROVE]


def test_errors_carry_the_names_the_state_machine_matches() -> None:
    # Step Functions' ErrorEquals matches the class name the Lambda runtime reports as errorType.
    names = {cls.__name__ for cls in (PaymentDeclined, PaymentTransientError, PaymentInputError, PaymentStateError)}
    assert names == {"PaymentDeclined", "PaymentTransientError", "PaymentInputError", "PaymentStateError"}
    assert isinstance(PaymentInputError("x"), InvalidInput) and isinstance(PaymentStateError("x"), Conflict)
    assert status_for(PaymentInputError("x")) == 400


def test_the_idempotency_key_is_refused_with_other_parameters() -> None:
    pending = payment(PaymentStatus.PENDING)
    pending.check_same_request("u1", 10_000, TokenKind.OK)
    for user, amount, kind in [
        ("u2", 10_000, TokenKind.OK),
        ("u1", 9_999, TokenKind.OK),
        ("u1", 10_000, TokenKind.DOWN),
    ]:
        with pytest.raises(PaymentInputError, match="other parameters"):
            pending.check_same_request(user, amount, kind)


def test_a_settled_authorization_replays_its_answer() -> None:
    for status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED, PaymentStatus.REFUNDED, PaymentStatus.VOIDED):
        settled = payment(status)
        assert settled.replay_authorization() is settled
    assert payment(PaymentStatus.PENDING).replay_authorization() is None
    with pytest.raises(PaymentDeclined, match="generic_decline"):
        payment(PaymentStatus.DECLINED, reason="generic_decline").replay_authorization()
    with pytest.raises(PaymentStateError, match="closed as failed"):
        payment(PaymentStatus.FAILED, reason="PAYMENT_ERROR").replay_authorization()


def test_only_an_authorized_or_captured_payment_of_that_id_is_capturable() -> None:
    assert capturable(payment(PaymentStatus.AUTHORIZED), "o1", "p1").status == PaymentStatus.AUTHORIZED
    assert capturable(payment(PaymentStatus.CAPTURED), "o1", "p1").status == PaymentStatus.CAPTURED
    with pytest.raises(PaymentStateError, match="no payment"):
        capturable(None, "o1", "p1")
    with pytest.raises(PaymentInputError, match="not the payment of order o1"):
        capturable(payment(PaymentStatus.AUTHORIZED), "o1", "p2")
    for status in (PaymentStatus.PENDING, PaymentStatus.DECLINED, PaymentStatus.VOIDED, PaymentStatus.REFUNDED):
        with pytest.raises(PaymentStateError, match=f"is {status}"):
            capturable(payment(status), "o1", "p1")


def test_refund_refunds_a_capture_voids_an_authorization_and_leaves_the_rest() -> None:
    captured, authorized = payment(PaymentStatus.CAPTURED), payment(PaymentStatus.AUTHORIZED)
    assert refund_step(captured) == (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED)
    assert refund_step(authorized) == (PaymentStatus.AUTHORIZED, PaymentStatus.VOIDED)
    for status in (PaymentStatus.PENDING, PaymentStatus.DECLINED, PaymentStatus.FAILED):
        assert refund_step(payment(status)) is None
        assert refund_outcome(payment(status)) == RefundOutcome.NOTHING_TO_REFUND
    assert refund_step(None) is None and refund_outcome(None) == RefundOutcome.NOTHING_TO_REFUND
    assert refund_step(replace(captured, status=PaymentStatus.REFUNDED)) is None
    assert refund_outcome(replace(captured, status=PaymentStatus.REFUNDED)) == RefundOutcome.REFUNDED
    assert refund_outcome(replace(authorized, status=PaymentStatus.VOIDED)) == RefundOutcome.VOIDED
