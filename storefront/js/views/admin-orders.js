// Admin: the order desk. Every customer's orders, newest first, filtered by order status and fulfilment, a page at a
// time; ship (carrier, tracking number), deliver and cancel each order, the API's refusals shown in words.
import { api, currentUser } from "../api.js";
import { h, page, errorBox, field, selectField, announce } from "../dom.js";
import { krw, when, STATUS_WORDS, FULFILLMENT_WORDS } from "../format.js";
import { go } from "../app.js";
import { addressText } from "./account.js";

export const PAGE_SIZE = 20;
const STATUSES = ["PENDING", "RESERVED", "PAID", "CONFIRMED", "FAILED", "CANCELLED"];
const FULFILLMENTS = ["UNFULFILLED", "SHIPPED", "DELIVERED"];

function linkFor(query) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v));
  const text = params.toString();
  return text ? `/admin/orders?${text}` : "/admin/orders";
}

export function fulfilmentText(f) {
  if (!f) return FULFILLMENT_WORDS.UNFULFILLED;
  const parts = [FULFILLMENT_WORDS[f.status] || f.status];
  if (f.carrier) parts.push(`${f.carrier} ${f.trackingNumber || ""}`.trim());
  if (f.deliveredAt) parts.push(`delivered ${when(f.deliveredAt)}`);
  else if (f.shippedAt) parts.push(`shipped ${when(f.shippedAt)}`);
  return parts.join(" · ");
}

function orderCard(order) {
  const status = h("div", { "aria-live": "polite" });
  const card = h("li", { class: "desk-order", "data-order": order.orderId });
  const short = order.orderId.slice(-8);
  async function act(call, done) {
    status.replaceChildren();
    for (const control of card.querySelectorAll("button, input")) control.disabled = true;
    try {
      const updated = await call();
      const fresh = orderCard(updated);
      card.replaceWith(fresh);
      fresh.querySelector("[aria-live]").replaceChildren(h("p", { class: "notice" }, done));
      announce(done);
    } catch (err) {
      status.replaceChildren(errorBox(err.message));
      for (const control of card.querySelectorAll("button, input")) control.disabled = false;
    }
  }
  const path = `/admin/orders/${encodeURIComponent(order.orderId)}`;
  const fulfilment = (order.fulfillment && order.fulfillment.status) || "UNFULFILLED";
  const ship = h("form", { class: "ship", onsubmit: (event) => {
    event.preventDefault();
    const body = { carrier: ship.elements.carrier.value.trim(), trackingNumber: ship.elements.trackingNumber.value.trim() };
    act(() => api("POST", `${path}/ship`, { body }), `Order ${short} shipped with ${body.carrier}.`);
  } },
  field("Carrier", { name: "carrier", id: `carrier-${order.orderId}`, required: true, maxlength: 100, placeholder: "CJ Logistics" }),
  field("Tracking number", { name: "trackingNumber", id: `tracking-${order.orderId}`, required: true, maxlength: 100 }),
  h("button", { type: "submit" }, "Ship"));
  const lines = order.items.map((i) => `${i.name || i.productId} × ${i.quantity}`).join(", ");
  card.append(
    h("h2", {}, h("a", { href: `#/orders/${encodeURIComponent(order.orderId)}` }, `Order …${short}`), " ",
      h("span", { class: `status ${order.status}` }, STATUS_WORDS[order.status] || order.status)),
    h("p", { class: "muted" }, `Placed ${when(order.createdAt)} · customer ${order.userId} · ${krw(order.amounts.total)}`),
    h("p", {}, lines),
    h("p", {}, "Delivery: ", h("span", { class: "fulfilment" }, fulfilmentText(order.fulfillment))),
    h("p", { class: "muted" }, "Send to: ", order.shippingAddress ? addressText(order.shippingAddress) : "no address"),
    order.status === "CONFIRMED" && fulfilment === "UNFULFILLED" ? ship : null,
    h("div", { class: "actions" },
      fulfilment === "SHIPPED" ? h("button", { type: "button", onclick: () => act(() => api("POST", `${path}/deliver`), `Order ${short} delivered.`) }, "Mark delivered") : null,
      order.status === "CONFIRMED" && fulfilment === "UNFULFILLED"
        ? h("button", { type: "button", class: "danger", onclick: () => {
          if (confirm(`Cancel order …${short}? The customer is refunded.`)) act(() => api("POST", `/orders/${encodeURIComponent(order.orderId)}/cancel`), `Order ${short} cancelled.`);
        } }, "Cancel order")
        : null),
    status);
  return card;
}

export async function render(_params, query) {
  const user = await currentUser();
  if (!user) return go("/login?next=/admin/orders");
  const status = query.get("status") || "";
  const fulfillment = query.get("fulfillment") || "";
  const cursor = query.get("cursor") || "";
  const back = query.get("back") ? query.get("back").split(",") : [];
  const filters = h("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault();
    go(linkFor({ status: filters.elements.status.value, fulfillment: filters.elements.fulfillment.value }));
  } },
  selectField("Order status", "status", [["", "Any"], ...STATUSES.map((s) => [s, STATUS_WORDS[s]])], status),
  selectField("Delivery", "fulfillment", [["", "Any"], ...FULFILLMENTS.map((s) => [s, FULFILLMENT_WORDS[s]])], fulfillment),
  h("div", { class: "field" }, h("button", { type: "submit" }, "Show")));
  const results = h("section", { "aria-label": "Orders", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading orders…"));
  page("Admin: orders", filters, results);
  let data;
  try {
    data = await api("GET", "/admin/orders", { query: { status, fulfillment, cursor, limit: PAGE_SIZE } });
  } catch (err) {
    results.replaceChildren(errorBox(err.message));
    return;
  }
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  if (cursor) {
    pager.append(h("a", { class: "button secondary", href: `#${linkFor({ status, fulfillment, cursor: back.at(-1) || "", back: back.slice(0, -1).join(",") })}` }, "Previous page"));
  }
  if (data.nextCursor) {
    pager.append(h("a", { class: "button secondary", rel: "next", href: `#${linkFor({ status, fulfillment, cursor: data.nextCursor, back: [...back, cursor].join(",") })}` }, "Next page"));
  }
  results.setAttribute("aria-busy", "false");
  results.replaceChildren(
    data.items.length ? h("ul", { class: "desk", id: "desk" }, data.items.map(orderCard)) : h("p", {}, "No orders match."),
    pager);
}
