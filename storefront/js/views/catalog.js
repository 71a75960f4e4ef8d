// The catalog: a category filter and pages of products (the API's cursor; earlier cursors kept for "Previous").
import { api } from "../api.js";
import { h, page, errorBox, field, selectField } from "../dom.js";
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

export const SORTS = [["newest", "Newest first"], ["price_asc", "Price: low to high"], ["price_desc", "Price: high to low"]];

// The query a catalog link carries: search words, category, sort, and the cursor (with the earlier ones, "back").
function linkFor(query) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v));
  const text = params.toString();
  return text ? `/?${text}` : "/";
}

export async function render(_params, query) {
  const q = query.get("q") || "";
  const sort = query.get("sort") || "";
  const category = query.get("category") || "";
  const cursor = query.get("cursor") || "";
  const back = query.get("back") ? query.get("back").split(",") : [];
  const form = h("form", { class: "filters", role: "search", onsubmit: (e) => {
    e.preventDefault();
    const words = form.elements.q.value.trim();
    go(linkFor({ q: words, category: form.elements.category.value.trim(), sort: form.elements.sort.value === "newest" ? "" : form.elements.sort.value }));
  } },
    field("Search", { name: "q", type: "search", value: q, maxlength: 100, placeholder: "e.g. ceramic mug", autocomplete: "off" }),
    field("Category", { name: "category", value: category, placeholder: "e.g. demo-kitchen", autocomplete: "off" }),
    selectField("Sort", "sort", SORTS, sort || "newest"),
    h("div", { class: "field" }, h("button", { type: "submit" }, "Show")));
  const results = h("section", { "aria-label": "Products", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading products…"));
  page(q ? `Search: ${q}` : category ? `Shop: ${category}` : "Shop", form, results);
  let data;
  try {
    data = await api("GET", "/products", { query: { q, category, sort, cursor, limit: PAGE_SIZE } });
  } catch (err) {
    results.replaceChildren(errorBox(err.message));
    return;
  }
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  if (cursor) {
    const prev = back.slice(0, -1);
    pager.append(h("a", { class: "button secondary", href: `#${linkFor({ q, category, sort, cursor: back.at(-1) || "", back: prev.join(",") })}` }, "Previous page"));
  }
  if (data.nextCursor) {
    pager.append(h("a", { class: "button secondary", rel: "next", href: `#${linkFor({ q, category, sort, cursor: data.nextCursor, back: [...back, cursor].join(",") })}` }, "Next page"));
  }
  results.setAttribute("aria-busy", "false");
  results.replaceChildren(
    data.items.length ? h("ul", { class: "grid", id: "products" }, data.items.map(productCard)) : h("p", {}, q ? `Nothing matches “${q}”.` : "No products here yet."),
    pager);
  performance.mark("products-visible"); // the browser suite reports the time from navigation to here
}
