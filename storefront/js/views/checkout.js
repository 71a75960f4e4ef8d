// Checkout. ``checkoutForm`` takes the lines to buy; today they come from the product page ("Buy now"), later the
// cart page hands in its lines the same way (and leaves ``items`` out of the order, as the API allows).
import { api, currentUser } from "../api.js";
import { h, page, errorBox, field } from "../dom.js";
import { krw, TEST_CARDS } from "../format.js";
import { go } from "../app.js";

export function estimateDiscount(coupon, subtotal) {
  if (!coupon || subtotal < (coupon.minOrderAmount || 0)) return 0;
  const off = coupon.discountType === "PERCENT" ? Math.floor((subtotal * coupon.value) / 100) : coupon.value;
  return Math.min(off, subtotal);
}

export async function checkoutForm(lines, { sendItems = true, editableQuantity = true } = {}) {
  const user = await currentUser();
  const coupons = ((await api("GET", "/users/me/coupons", { query: { limit: 100 } })).items || []).filter((c) => c.status === "ISSUED");
  const idempotencyKey = crypto.randomUUID(); // one per checkout: a retried submit cannot order twice
  const status = h("div", { "aria-live": "polite" });
  const summary = h("dl");
  const quantities = lines.map((line) => field(`Quantity of ${line.name}`, {
    name: `qty-${line.productId}`, type: "number", min: 1, max: Math.max(1, Math.min(100, line.stock ?? 100)), value: line.quantity, required: true,
    readonly: !editableQuantity, oninput: update,
  }));
  const couponSelect = field("Coupon", { name: "couponId", onchange: update }, "select");
  couponSelect.querySelector("select").append(h("option", { value: "" }, coupons.length ? "No coupon" : "No coupons claimed yet"),
    ...coupons.map((c) => h("option", { value: c.couponId }, `${c.code}: ${c.discountType === "PERCENT" ? `${c.value}% off` : `${krw(c.value)} off`}`)));
  const points = field(`Points to use (you have ${user.points.toLocaleString("en")})`, { name: "pointsToUse", type: "number", min: 0, max: user.points, value: 0, oninput: update });
  const cards = h("fieldset", {}, h("legend", {}, "Test card"),
    h("ul", { class: "tokens" }, TEST_CARDS.map(([token, what], i) => h("li", {},
      h("input", { type: "radio", name: "token", value: token, id: `card-${token}`, checked: i === 0 }),
      " ", h("label", { for: `card-${token}` }, h("code", {}, token), ` — ${what}`)))));
  const form = h("form", { onsubmit: submit }, h("fieldset", {}, h("legend", {}, "What you buy"), quantities),
    h("fieldset", {}, h("legend", {}, "Discounts"), couponSelect, points), cards,
    h("section", { class: "summary", "aria-label": "Summary" }, summary), h("p"), status, h("button", { type: "submit" }, "Place order"));

  function chosen() {
    const items = lines.map((line) => ({ ...line, quantity: Number(form.elements[`qty-${line.productId}`].value) || 0 }));
    const subtotal = items.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
    const coupon = coupons.find((c) => c.couponId === form.elements.couponId.value);
    const pointsToUse = Math.max(0, Number(form.elements.pointsToUse.value) || 0);
    return { items, subtotal, coupon, pointsToUse };
  }

  function update() {
    if (!form) return;
    const { subtotal, coupon, pointsToUse } = chosen();
    const discount = estimateDiscount(coupon, subtotal);
    const total = Math.max(0, subtotal - discount - pointsToUse);
    summary.replaceChildren(h("dt", {}, "Subtotal"), h("dd", {}, krw(subtotal)), h("dt", {}, "Coupon (estimate)"), h("dd", {}, `−${krw(discount)}`),
      h("dt", {}, "Points"), h("dd", {}, `−${krw(pointsToUse)}`), h("dt", {}, h("strong", {}, "Total (estimate)")), h("dd", {}, h("strong", { id: "total" }, krw(total))));
  }

  async function submit(event) {
    event.preventDefault();
    const { items, coupon, pointsToUse } = chosen();
    const body = { payment: { method: "card", token: form.elements.token.value } };
    if (sendItems) body.items = items.map((l) => ({ productId: l.productId, quantity: l.quantity }));
    if (coupon) body.couponId = coupon.couponId;
    if (pointsToUse) body.pointsToUse = pointsToUse;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.replaceChildren(h("p", {}, "Placing your order…"));
    try {
      const order = await api("POST", "/orders", { body, headers: { "Idempotency-Key": idempotencyKey } });
      go(`/orders/${encodeURIComponent(order.orderId)}`);
    } catch (err) {
      status.replaceChildren(errorBox(err.message));
      button.disabled = false;
    }
  }

  update();
  return form;
}

export async function render({ productId }) {
  if (!(await currentUser())) return go(`/login?next=${encodeURIComponent(`/checkout/${productId}`)}`);
  const product = await api("GET", `/products/${encodeURIComponent(productId)}`);
  const line = { productId: product.productId, name: product.name, unitPrice: product.price, quantity: 1, stock: product.stock };
  page("Checkout", h("p", {}, `${product.name} · ${krw(product.price)} each`), await checkoutForm([line]));
}
