// Admin: the sales figures, with an inline SVG bar chart of revenue against orders and of the top products.
import { api } from "../api.js";
import { h, page, table } from "../dom.js";
import { krw } from "../format.js";
import { requireAdmin } from "./admin-products.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// Horizontal bars, each under its label (readable at phone width): [label, value, shown text]; an image with a
// title for screen readers (the figures are also in words beside it).
export function barChart(title, bars) {
  const rowHeight = 44, width = 360, barSpace = 270;
  const max = Math.max(1, ...bars.map(([, v]) => v));
  const svg = s("svg", { viewBox: `0 0 ${width} ${Math.max(1, bars.length) * rowHeight}`, class: "chart", role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  bars.forEach(([label, value, text], i) => {
    const y = i * rowHeight;
    const length = Math.max(2, (value / max) * barSpace);
    svg.append(s("text", { x: 0, y: y + 15, "font-size": 14, fill: "#1c1c1c" }, label.length > 44 ? `${label.slice(0, 43)}…` : label),
      s("rect", { x: 0, y: y + 21, width: length, height: 16, fill: "#0b5cad", rx: 3 }),
      s("text", { x: length + 6, y: y + 34, "font-size": 13, fill: "#1c1c1c" }, text));
  });
  return svg;
}

export async function render() {
  if (!(await requireAdmin("/admin/stats"))) return;
  const stats = await api("GET", "/admin/stats");
  const top = stats.topProducts || [];
  page("Admin: stats",
    h("ul", { class: "tiles" },
      h("li", {}, "Revenue", h("strong", { id: "revenue" }, krw(stats.revenue))),
      h("li", {}, "Orders confirmed", h("strong", {}, String(stats.ordersConfirmed))),
      h("li", {}, "Orders failed", h("strong", {}, String(stats.ordersFailed)))),
    h("h2", {}, "Orders"),
    barChart("Confirmed and failed orders", [["Confirmed", stats.ordersConfirmed, String(stats.ordersConfirmed)], ["Failed", stats.ordersFailed, String(stats.ordersFailed)]]),
    h("h2", {}, "Top products"),
    top.length ? barChart("Top products by quantity sold", top.map((p) => [p.name, p.quantity, `${p.quantity} sold`])) : h("p", { class: "muted" }, "Nothing sold yet."),
    top.length ? table("Top products", ["Product", "Quantity"], top.map((p) => h("tr", {}, h("td", {}, p.name), h("td", {}, String(p.quantity))))) : null);
}
