// The cart: its lines (quantity changed in place, a warning when the shop has fewer than that), remove a line,
// empty it, the subtotal, and on to checkout. Every change is one API call answering the whole cart, drawn again.
import { cart, currentUser } from "../api.js";
import { h, page, errorBox, table, announce } from "../dom.js";
import { krw } from "../format.js";
import { go } from "../app.js";

export const MAX_QUANTITY = 100;

function lineRow(line, change) {
  const id = `qty-${line.productId}`;
  const quantity = h("input", { id, type: "number", name: id, min: 1, max: MAX_QUANTITY, value: line.quantity, required: true, inputmode: "numeric",
    class: "qty", onchange: () => {
      const wanted = Number(quantity.value);
      if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_QUANTITY) {
        change.error(`The quantity of ${line.name} must be a whole number from 1 to ${MAX_QUANTITY}.`);
        quantity.value = line.quantity;
        return;
      }
      change.run(() => cart.set(line.productId, wanted), `${line.name}: quantity ${wanted}.`);
    } });
  return h("tr", { "data-product": line.productId },
    h("td", {}, h("a", { href: `#/products/${encodeURIComponent(line.productId)}` }, line.name),
      line.inStock ? null : h("p", { class: "warning", id: `stock-${line.productId}` }, `Out of stock: the shop has fewer than ${line.quantity} left. Lower the quantity or remove it to check out.`)),
    h("td", { "data-label": "Unit price" }, krw(line.unitPrice)),
    h("td", { "data-label": "Quantity" }, h("label", { for: id, class: "visually-hidden" }, `Quantity of ${line.name}`), quantity),
    h("td", { class: "line-total", "data-label": "Line total" }, krw(line.lineTotal)),
    h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `Remove ${line.name}`,
      onclick: () => change.run(() => cart.remove(line.productId), `${line.name} removed.`) }, "Remove")));
}

export async function render() {
  const user = await currentUser();
  if (!user) return go("/login?next=/cart");
  if (user.role === "admin") return page("Your cart", h("p", {}, "The cart is for customers: log in with a customer account to shop."));
  const status = h("div", { "aria-live": "polite" });
  const body = h("div");
  const change = {
    error: (message) => status.replaceChildren(errorBox(message)),
    async run(call, done) {
      status.replaceChildren();
      for (const control of body.querySelectorAll("input, button")) control.disabled = true;
      try {
        draw(await call());
        announce(done);
      } catch (err) {
        status.replaceChildren(errorBox(err.message));
        draw(await cart.get().catch(() => null) || current);
      }
    },
  };
  let current;
  function draw(data) {
    current = data || { items: [], subtotal: 0 };
    if (!current.items.length) {
      body.replaceChildren(h("p", { id: "cart-empty" }, "Your cart is empty. ", h("a", { href: "#/" }, "Go shopping")));
      return;
    }
    const blocked = current.items.some((line) => !line.inStock);
    body.replaceChildren(
      table("Cart lines", ["Product", "Unit price", "Quantity", "Line total", "Remove"], current.items.map((line) => lineRow(line, change)), { id: "cart-lines", class: "stack" }),
      h("section", { class: "summary", "aria-label": "Cart total" }, h("dl", {},
        h("dt", {}, h("strong", {}, "Subtotal")), h("dd", {}, h("strong", { id: "subtotal" }, krw(current.subtotal))))),
      h("p", { class: "muted" }, "Coupons, points and the delivery address are chosen at checkout."),
      h("div", { class: "actions" },
        blocked
          ? h("p", { class: "warning" }, "Some lines are out of stock: change them before checking out.")
          : h("a", { class: "button", href: "#/checkout" }, "Check out"),
        h("button", { type: "button", class: "secondary", onclick: () => {
          if (confirm("Empty the whole cart?")) change.run(() => cart.empty(), "Cart emptied.");
        } }, "Empty cart")));
  }
  page("Your cart", status, body);
  try {
    draw(await cart.get());
  } catch (err) {
    status.replaceChildren(errorBox(err.message));
  }
}
