// The catalog: a category filter and pages of products (the API's cursor; earlier cursors kept for "Previous").
import { api } from "../api.js";
import { h, page, errorBox, field } from "../dom.js";
import { krw } from "../format.js";
import { go } from "../app.js";

export const PAGE_SIZE = 12;

export function productCard(product) {
  const image = (product.images || []).find((i) => i.status === "READY");
  const picture = image
    ? h("img", { src: image.thumbnailUrl, alt: "", width: 320, height: 320, loading: "lazy" })
    : h("div", { class: "noimg", "aria-hidden": "true" }, "No picture");
  return h("li", { class: "card" },
    h("a", { href: `#/products/${encodeURIComponent(product.productId)}` }, picture,
      h("h2", {}, product.name),
      h("p", { class: "price" }, krw(product.price)),
      h("p", { class: "muted" }, product.stock > 0 ? product.category : "Sold out")));
}

// The query a catalog link carries: category and cursor now; search and sort join it the same way.
function linkFor(query) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v));
  const text = params.toString();
  return text ? `/?${text}` : "/";
}

export async function render(_params, query) {
  const category = query.get("category") || "";
  const cursor = query.get("cursor") || "";
  const back = query.get("back") ? query.get("back").split(",") : [];
  const form = h("form", { class: "filters", role: "search", onsubmit: (e) => {
    e.preventDefault();
    go(linkFor({ category: form.elements.category.value.trim() }));
  } },
    field("Category", { name: "category", value: category, placeholder: "e.g. demo-kitchen", autocomplete: "off" }),
    h("div", { class: "field" }, h("button", { type: "submit" }, "Show")));
  const results = h("section", { "aria-label": "Products", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading products…"));
  page(category ? `Shop: ${category}` : "Shop", form, results);
  let data;
  try {
    data = await api("GET", "/products", { query: { category, cursor, limit: PAGE_SIZE } });
  } catch (err) {
    results.replaceChildren(errorBox(err.message));
    return;
  }
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  if (cursor) {
    const prev = back.slice(0, -1);
    pager.append(h("a", { class: "button secondary", href: `#${linkFor({ category, cursor: back.at(-1) || "", back: prev.join(",") })}` }, "Previous page"));
  }
  if (data.nextCursor) {
    pager.append(h("a", { class: "button secondary", rel: "next", href: `#${linkFor({ category, cursor: data.nextCursor, back: [...back, cursor].join(",") })}` }, "Next page"));
  }
  results.setAttribute("aria-busy", "false");
  results.replaceChildren(
    data.items.length ? h("ul", { class: "grid", id: "products" }, data.items.map(productCard)) : h("p", {}, "No products here yet."),
    pager);
  performance.mark("products-visible"); // the browser suite reports the time from navigation to here
}
