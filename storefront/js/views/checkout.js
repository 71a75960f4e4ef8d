// Checkout: the lines to buy (the cart's, or one product's "Buy now"), where to send them (the saved address or a
// new one), a coupon, points and a test card.
import { api, currentUser, cart } from "../api.js";
import { h, page, errorBox, field, table } from "../dom.js";
import { krw, TEST_CARDS } from "../format.js";
import { go } from "../app.js";
import { addressFields, addressFrom, addressText, inWords } from "./account.js";

function addressChoice(saved) {
  const fresh = h("div", { id: "new-address", hidden: Boolean(saved) }, addressFields(null, "ship"),
    h("p", {}, h("input", { type: "checkbox", name: "saveAddress", id: "save-address", checked: !saved }), " ",
      h("label", { for: "save-address", class: "inline" }, "Also save it as my address")));
  const toggle = () => {
    const useNew = fresh.closest("form").elements.addressChoice.value === "new";
    fresh.hidden = !useNew;
    for (const input of fresh.querySelectorAll("input:not([type=checkbox])")) input.disabled = !useNew;
  };
  const options = saved
    ? h("ul", { class: "tokens" },
      h("li", {}, h("input", { type: "radio", name: "addressChoice", value: "saved", id: "address-saved", checked: true, onchange: toggle }), " ",
        h("label", { for: "address-saved", class: "inline" }, `My saved address: ${addressText(saved)}`)),
      h("li", {}, h("input", { type: "radio", name: "addressChoice", value: "new", id: "address-new", onchange: toggle }), " ",
        h("label", { for: "address-new", class: "inline" }, "A new address")))
    : h("input", { type: "hidden", name: "addressChoice", value: "new" });
  if (saved) for (const input of fresh.querySelectorAll("input:not([type=checkbox])")) input.disabled = true;
  return h("fieldset", { id: "address" }, h("legend", {}, "Delivery address"), options, fresh);
}

export function estimateDiscount(coupon, subtotal) {
  if (!coupon || subtotal < (coupon.minOrderAmount || 0)) return 0;
  const off = coupon.discountType === "PERCENT" ? Math.floor((subtotal * coupon.value) / 100) : coupon.value;
  return Math.min(off, subtotal);
}

export async function checkoutForm(lines, { sendItems = true, editableQuantity = true } = {}) {
  const user = await currentUser();
  const coupons = ((await api("GET", "/users/me/coupons", { query: { limit: 100 } })).items || []).filter((c) => c.status === "ISSUED");
  // One key per order attempt: the same body submitted again cannot order twice; a changed body (a field fixed
  // after a refusal) is a new attempt with a new key (the API refuses a reused key with another body).
  let idempotencyKey = crypto.randomUUID();
  let lastBody = null;
  const status = h("div", { "aria-live": "polite" });
  const summary = h("dl");
  const quantities = editableQuantity
    ? lines.map((line) => field(`Quantity of ${line.name}`, {
      name: `qty-${line.productId}`, type: "number", min: 1, max: Math.max(1, Math.min(100, line.stock ?? 100)), value: line.quantity, required: true, oninput: update,
    }))
    : table("What you buy", ["Product", "Quantity", "Line total"], lines.map((line) => h("tr", {}, h("td", {}, line.name), h("td", {}, String(line.quantity)),
      h("td", {}, krw(line.unitPrice * line.quantity)))));
  const couponSelect = field("Coupon", { name: "couponId", onchange: update }, "select");
  couponSelect.querySelector("select").append(h("option", { value: "" }, coupons.length ? "No coupon" : "No coupons claimed yet"),
    ...coupons.map((c) => h("option", { value: c.couponId }, `${c.code}: ${c.discountType === "PERCENT" ? `${c.value}% off` : `${krw(c.value)} off`}`)));
  const points = field(`Points to use (you have ${user.points.toLocaleString("en")})`, { name: "pointsToUse", type: "number", min: 0, max: user.points, value: 0, oninput: update });
  const cards = h("fieldset", {}, h("legend", {}, "Test card"),
    h("ul", { class: "tokens" }, TEST_CARDS.map(([token, what], i) => h("li", {},
      h("input", { type: "radio", name: "token", value: token, id: `card-${token}`, checked: i === 0 }),
      " ", h("label", { for: `card-${token}` }, h("code", {}, token), ` — ${what}`)))));
  const form = h("form", { onsubmit: submit }, h("fieldset", {}, h("legend", {}, "What you buy"), quantities), addressChoice(user.address),
    h("fieldset", {}, h("legend", {}, "Discounts"), couponSelect, points), cards,
    h("section", { class: "summary", "aria-label": "Summary" }, summary), h("p"), status, h("button", { type: "submit" }, "Place order"));

  function chosen() {
    const items = lines.map((line) => ({ ...line, quantity: editableQuantity ? Number(form.elements[`qty-${line.productId}`].value) || 0 : line.quantity }));
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
    const newAddress = form.elements.addressChoice.value === "new" ? addressFrom(form) : null;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.replaceChildren(h("p", {}, "Placing your order…"));
    try {
      if (newAddress) body.shippingAddress = newAddress; // else the API copies the saved address onto the order
      if (newAddress && form.elements.saveAddress.checked) await api("PUT", "/users/me/address", { body: newAddress });
      const sent = JSON.stringify(body);
      if (lastBody !== null && sent !== lastBody) idempotencyKey = crypto.randomUUID();
      lastBody = sent;
      const order = await api("POST", "/orders", { body, headers: { "Idempotency-Key": idempotencyKey } });
      go(`/orders/${encodeURIComponent(order.orderId)}`);
    } catch (err) {
      status.replaceChildren(errorBox(inWords(err.message)));
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

// Checkout of the whole cart (from the cart page): its lines as they are; quantities are changed in the cart.
export async function renderCart() {
  const user = await currentUser();
  if (!user) return go(`/login?next=${encodeURIComponent("/checkout")}`);
  const data = await cart.get();
  if (!data.items.length) return page("Checkout", h("p", { id: "cart-empty" }, "Your cart is empty. ", h("a", { href: "#/" }, "Go shopping")));
  const lines = data.items.map((l) => ({ productId: l.productId, name: l.name, unitPrice: l.unitPrice, quantity: l.quantity }));
  const out = data.items.filter((l) => !l.inStock);
  const form = await checkoutForm(lines, { sendItems: false, editableQuantity: false });
  page("Checkout", ...[
    h("p", {}, `${data.items.length} ${data.items.length === 1 ? "line" : "lines"} from your cart · `, h("a", { href: "#/cart" }, "Change the cart")),
    out.length ? errorBox(`Out of stock: ${out.map((l) => l.name).join(", ")}. The order would fail: change the cart first.`) : null,
    form].filter(Boolean));
}
