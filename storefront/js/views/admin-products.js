// Admin: the catalog as a table, a page at a time, with edit and delete.
import { api, currentUser } from "../api.js";
import { h, page, errorBox, table } from "../dom.js";
import { krw } from "../format.js";
import { go } from "../app.js";

export async function requireAdmin(next) {
  const user = await currentUser();
  if (!user) { go(`/login?next=${encodeURIComponent(next)}`); return false; }
  if (user.role !== "admin") { page("Admins only", errorBox("Only an admin can see this page.")); return false; }
  return true;
}

export async function render(_params, query) {
  if (!(await requireAdmin("/admin/products"))) return;
  const data = await api("GET", "/products", { query: { limit: 50, cursor: query.get("cursor") || "" } });
  const status = h("div", { "aria-live": "polite" });
  const rows = data.items.map((p) => {
    const row = h("tr", {},
      h("td", {}, h("a", { href: `#/admin/products/${encodeURIComponent(p.productId)}` }, p.name)),
      h("td", {}, p.category), h("td", {}, krw(p.price)), h("td", {}, String(p.stock)),
      h("td", {}, String((p.images || []).length)),
      h("td", {}, h("button", { type: "button", class: "danger", "aria-label": `Delete ${p.name}`, onclick: async () => {
        if (!confirm(`Delete "${p.name}"?`)) return;
        try { await api("DELETE", `/products/${encodeURIComponent(p.productId)}`); row.remove(); status.replaceChildren(h("p", { class: "notice" }, `Deleted ${p.name}.`)); }
        catch (err) { status.replaceChildren(errorBox(err.message)); }
      } }, "Delete")));
    return row;
  });
  page("Admin: products",
    h("p", {}, h("a", { class: "button", href: "#/admin/products/new" }, "New product")), status,
    table("Products", ["Name", "Category", "Price", "Stock", "Images", "Actions"], rows),
    data.nextCursor ? h("p", {}, h("a", { class: "button secondary", href: `#/admin/products?cursor=${encodeURIComponent(data.nextCursor)}` }, "Next page")) : null);
}
