// One product: its pictures (thumbnails switch the large one), price, stock, "Add to cart" and "Buy now".
import { api, session, cart, currentUser } from "../api.js";
import { h, page, errorBox, field } from "../dom.js";
import { krw } from "../format.js";
import { go } from "../app.js";

export async function render({ productId }) {
  const product = await api("GET", `/products/${encodeURIComponent(productId)}`);
  const ready = (product.images || []).filter((i) => i.status === "READY");
  const main = ready.length
    ? h("img", { class: "main", src: ready[0].url, alt: product.name, width: ready[0].width, height: ready[0].height })
    : h("p", { class: "muted" }, "No pictures yet.");
  const thumbs = h("ul", { class: "thumbs", "aria-label": "Pictures" });
  ready.forEach((image, index) => {
    const button = h("button", { type: "button", "aria-pressed": String(index === 0), "aria-label": `Show picture ${index + 1} of ${ready.length}`,
      onclick: () => {
        main.src = image.url;
        main.width = image.width;
        main.height = image.height;
        for (const b of thumbs.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === button));
      } }, h("img", { src: image.thumbnailUrl, alt: "" }));
    thumbs.append(h("li", {}, button));
  });
  const user = await currentUser();
  const buy = product.stock > 0
    ? [user && user.role === "admin" ? null : addToCart(product, user),
      h("a", { class: "button secondary", href: session.token ? `#/checkout/${encodeURIComponent(product.productId)}` : "#/login?next=" + encodeURIComponent(`/checkout/${product.productId}`) }, "Buy now")]
    : errorBox("Sold out.");
  page(product.name,
    h("div", { class: "product" },
      h("div", { class: "gallery" }, main, ready.length > 1 ? thumbs : null),
      h("div", {},
        h("p", { class: "price" }, krw(product.price)),
        h("p", { class: "muted" }, "Category: ", h("a", { href: `#/?category=${encodeURIComponent(product.category)}` }, product.category),
          ` · ${product.stock > 0 ? `${product.stock} in stock` : "out of stock"}`),
        h("p", {}, product.description),
        buy)));
}

// "Add to cart": the API sets a line's quantity, so the form adds to what the cart already holds (at most 100).
function addToCart(product, user) {
  const status = h("div", { "aria-live": "polite" });
  const max = Math.max(1, Math.min(100, product.stock));
  const form = h("form", { class: "add", onsubmit: async (event) => {
    event.preventDefault();
    if (!user) return go(`/login?next=${encodeURIComponent(`/products/${product.productId}`)}`);
    const button = form.querySelector("button");
    button.disabled = true;
    status.replaceChildren();
    try {
      const wanted = Number(form.elements.quantity.value) || 1;
      const held = ((await cart.get()).items.find((line) => line.productId === product.productId) || {}).quantity || 0;
      const now = await cart.set(product.productId, Math.min(100, held + wanted));
      const line = now.items.find((l) => l.productId === product.productId);
      status.replaceChildren(h("p", { class: "notice" }, `Added to your cart (${line ? line.quantity : wanted} in it). `, h("a", { href: "#/cart" }, "View cart")));
    } catch (err) {
      status.replaceChildren(errorBox(err.message));
    } finally {
      button.disabled = false;
    }
  } },
  field("Quantity", { name: "quantity", type: "number", min: 1, max, value: 1, required: true, inputmode: "numeric" }),
  h("button", { type: "submit" }, "Add to cart"));
  return h("div", {}, form, status);
}
