"""What the orders and payments services must agree on about a payment, in one place: the largest amount the
payment path takes, and how a card token is read.

A token is a secret of the customer's card: only its kind is ever stored or passed on (orders table and its stream,
the payment workflow's input and history, the payments table), never the token itself. The built-in simulator's
test tokens are the contract's; any other token is an unknown card (declined)."""

from __future__ import annotations

from enum import StrEnum

# The largest amount (KRW) the payment path takes: the provider simulator's limit. Every amount on the path is an
# integer of JSON, DynamoDB and Step Functions alike, all exact far beyond it (2^53 > 9 * 10^15).
MAX_AMOUNT = 1_000_000_000_000


class TokenKind(StrEnum):
    """What a card token means to the simulator; the value is what is stored and passed on."""

    OK = "tok_ok"
    DECLINE = "tok_decline"
    FLAKY = "tok_flaky"
    DOWN = "tok_down"
    UNKNOWN = "unknown"


def token_kind(token: str) -> TokenKind:
    """The simulator's reading of a card token; anything that is not a test token is an unknown card."""
    try:
        return TokenKind(token)
    except ValueError:
        return TokenKind.UNKNOWN
