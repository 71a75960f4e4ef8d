// One product: its pictures (thumbnails switch the large one), price, stock and "Buy".
import { api, session } from "../api.js";
import { h, page, errorBox } from "../dom.js";
import { krw } from "../format.js";

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
  const buy = product.stock > 0
    ? h("a", { class: "button", href: session.token ? `#/checkout/${encodeURIComponent(product.productId)}` : "#/login?next=" + encodeURIComponent(`/checkout/${product.productId}`) }, "Buy now")
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
