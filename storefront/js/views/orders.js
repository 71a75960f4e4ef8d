// My orders, newest first, a page at a time.
import { api, currentUser } from "../api.js";
import { h, page, table } from "../dom.js";
import { krw, when, STATUS_WORDS } from "../format.js";
import { fulfilmentText } from "./admin-orders.js";
import { go } from "../app.js";

export async function render(_params, query) {
  if (!(await currentUser())) return go("/login?next=/orders");
  const data = await api("GET", "/orders", { query: { limit: 20, cursor: query.get("cursor") || "" } });
  const rows = data.items.map((o) => h("tr", {},
    h("td", {}, h("a", { href: `#/orders/${encodeURIComponent(o.orderId)}` }, when(o.createdAt))),
    h("td", {}, h("span", { class: `status ${o.status}` }, STATUS_WORDS[o.status] || o.status)),
    h("td", { class: "fulfilment" }, o.status === "CONFIRMED" ? fulfilmentText(o.fulfillment) : "—"),
    h("td", {}, String(o.items.reduce((n, i) => n + i.quantity, 0))),
    h("td", {}, krw(o.amounts.total))));
  page("My orders",
    data.items.length
      ? table("My orders", ["Placed", "Status", "Delivery", "Items", "Total"], rows)
      : h("p", {}, "No orders yet. ", h("a", { href: "#/" }, "Go shopping")),
    data.nextCursor ? h("p", {}, h("a", { class: "button secondary", href: `#/orders?cursor=${encodeURIComponent(data.nextCursor)}` }, "Older orders")) : null);
}
