// One order, followed live: polls with backoff and shows each status as it happens until the order is final.
import { api } from "../api.js";
import { h, page, errorBox, announce, table } from "../dom.js";
import { krw, when, FINAL, STATUS_WORDS, FAILURE_WORDS, FULFILLMENT_WORDS } from "../format.js";
import { addressText } from "./account.js";
import { pollUntil } from "../poll.js";

export const POLL_FIRST_MS = 400;
export const POLL_MAX_MS = 4000;

function describe(order) {
  const lines = order.items.map((i) => h("tr", {}, h("td", {}, h("a", { href: `#/products/${encodeURIComponent(i.productId)}` }, i.name || i.productId)),
    h("td", {}, String(i.quantity)), h("td", {}, krw(i.unitPrice))));
  const a = order.amounts;
  return [
    table("Order lines", ["Product", "Quantity", "Unit price"], lines),
    h("section", { class: "summary", "aria-label": "Amounts" }, h("dl", {},
      h("dt", {}, "Subtotal"), h("dd", {}, krw(a.subtotal)), h("dt", {}, "Discount"), h("dd", {}, `−${krw(a.discount)}`),
      h("dt", {}, "Points used"), h("dd", {}, `−${krw(a.pointsUsed)}`), h("dt", {}, h("strong", {}, "Total")), h("dd", {}, h("strong", {}, krw(a.total))))),
  ];
}

// Delivery (v1.1): where it goes, and once shipped the carrier and tracking number.
function delivery(order) {
  const f = order.fulfillment;
  if (order.status !== "CONFIRMED" || (!f && order.shippingAddress === undefined)) return [];
  const facts = [h("dt", {}, "Delivery"), h("dd", { id: "fulfilment" }, FULFILLMENT_WORDS[(f && f.status) || "UNFULFILLED"])];
  if (f && f.carrier) facts.push(h("dt", {}, "Carrier"), h("dd", { id: "carrier" }, f.carrier), h("dt", {}, "Tracking number"), h("dd", { id: "tracking" }, f.trackingNumber));
  if (f && f.shippedAt) facts.push(h("dt", {}, "Shipped"), h("dd", {}, when(f.shippedAt)));
  if (f && f.deliveredAt) facts.push(h("dt", {}, "Delivered"), h("dd", {}, when(f.deliveredAt)));
  facts.push(h("dt", {}, "Send to"), h("dd", { id: "ship-to" }, order.shippingAddress ? addressText(order.shippingAddress) : "No address given"));
  return [h("h2", {}, "Delivery"), h("dl", { class: "facts" }, facts)];
}

// The owner may cancel while the order is confirmed and not shipped (the API refuses otherwise, said in words).
function cancelling(order, redraw) {
  if (order.status !== "CONFIRMED" || (order.fulfillment && order.fulfillment.status !== "UNFULFILLED")) return [];
  const status = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button", class: "danger", onclick: async () => {
    if (!confirm("Cancel this order? The payment is refunded.")) return;
    button.disabled = true;
    try {
      redraw(await api("POST", `/orders/${encodeURIComponent(order.orderId)}/cancel`));
      announce("Order cancelled.");
    } catch (err) {
      status.replaceChildren(errorBox(err.message));
      button.disabled = false;
    }
  } }, "Cancel order");
  return [h("p", {}, button), status];
}

function statusLine(order) {
  const words = STATUS_WORDS[order.status] || order.status;
  const reason = order.status === "FAILED" ? FAILURE_WORDS[order.failureReason] || order.failureReason : null;
  return [h("p", {}, "Status: ", h("span", { class: `status ${order.status}`, id: "order-status" }, words)),
    reason ? h("p", { class: "error", id: "failure-reason" }, reason) : null,
    FINAL.has(order.status) ? null : h("p", { class: "muted" }, "Following your order live…")].filter(Boolean);
}

export async function render({ orderId }, _query, left) {
  let order = await api("GET", `/orders/${encodeURIComponent(orderId)}`);
  const head = h("div", { "aria-live": "polite" });
  const timeline = h("ol", { class: "timeline", id: "timeline", "aria-label": "Timeline" });
  const body = h("div");
  page("Your order", h("p", { class: "muted" }, `Order ${order.orderId} · placed ${when(order.createdAt)}`), head, h("h2", {}, "Timeline"), timeline, body);
  let shown = 0;
  const draw = () => {
    head.replaceChildren(...statusLine(order));
    for (const step of order.timeline.slice(shown)) {
      timeline.append(h("li", {}, h("span", { class: `status ${step.status}` }, STATUS_WORDS[step.status] || step.status), " ", h("time", { datetime: step.at, class: "muted" }, when(step.at))));
      if (shown) announce(STATUS_WORDS[step.status] || step.status);
    }
    shown = order.timeline.length;
    body.replaceChildren(...describe(order), ...delivery(order), ...cancelling(order, (updated) => { order = updated; draw(); }));
  };
  draw();
  if (FINAL.has(order.status)) return;
  await pollUntil(async () => {
    order = await api("GET", `/orders/${encodeURIComponent(orderId)}`);
    draw();
    return FINAL.has(order.status);
  }, { firstMs: POLL_FIRST_MS, maxMs: POLL_MAX_MS, left, onError: (err) => head.replaceChildren(...statusLine(order), errorBox(`${err.message} Trying again…`)) });
}
