// How money, dates and statuses are shown to people.
const won = new Intl.NumberFormat("ko-KR", { style: "currency", currency: "KRW", maximumFractionDigits: 0 });

export function krw(amount) {
  return won.format(amount); // 45000 -> "₩45,000"
}

export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" });
}

export const FINAL = new Set(["CONFIRMED", "FAILED", "CANCELLED"]);

export const STATUS_WORDS = {
  PENDING: "Order received",
  RESERVED: "Stock, coupon and points reserved",
  PAID: "Payment captured",
  CONFIRMED: "Confirmed",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};

export const FULFILLMENT_WORDS = {
  UNFULFILLED: "Not shipped yet",
  SHIPPED: "Shipped",
  DELIVERED: "Delivered",
};

export const FAILURE_WORDS = {
  OUT_OF_STOCK: "Not enough stock was left for this order. Nothing was charged.",
  COUPON_INVALID: "The coupon could not be used (already used, expired, or the order is below its minimum). Nothing was charged.",
  INSUFFICIENT_POINTS: "You do not have that many points. Nothing was charged.",
  PAYMENT_DECLINED: "Your card was declined. Nothing was charged.",
  PAYMENT_ERROR: "The payment provider could not be reached. Nothing was charged.",
  TIMEOUT: "The order took too long to complete and was stopped. Nothing was charged.",
};

export const TEST_CARDS = [
  ["tok_ok", "Succeeds: the payment is captured."],
  ["tok_decline", "Declined by the bank: the order fails (card declined)."],
  ["tok_flaky", "Fails twice with a passing error, then succeeds (retries absorb it)."],
  ["tok_down", "The provider is always down: the order fails (payment error)."],
];
