// Admin: create coupons and list them.
import { api } from "../api.js";
import { h, page, errorBox, field, selectField, formData, table } from "../dom.js";
import { krw, when } from "../format.js";
import { requireAdmin } from "./admin-products.js";
import { couponValue } from "./coupons.js";

export async function render(_params, query) {
  if (!(await requireAdmin("/admin/coupons"))) return;
  const status = h("div", { "aria-live": "polite" });
  const list = h("div");
  const nextWeek = new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 16);
  const form = h("form", { onsubmit: async (e) => {
    e.preventDefault();
    const d = formData(form);
    const body = { code: d.code.trim(), discountType: d.discountType, value: Number(d.value), totalQuantity: Number(d.totalQuantity),
      expiresAt: new Date(d.expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z"), minOrderAmount: Number(d.minOrderAmount || 0) };
    status.replaceChildren();
    try {
      const coupon = await api("POST", "/coupons", { body });
      status.replaceChildren(h("p", { class: "notice" }, `Coupon ${coupon.code} created.`));
      form.reset();
      await draw();
    } catch (err) {
      status.replaceChildren(errorBox(err.message));
    }
  } },
  field("Code (3 to 32 of A-Z, 0-9, _ or -)", { name: "code", required: true, maxlength: 32, autocomplete: "off" }),
  selectField("Discount type", "discountType", [["FIXED", "Fixed amount (KRW)"], ["PERCENT", "Percent"]], "FIXED"),
  field("Value (KRW, or percent 1-100)", { name: "value", type: "number", min: 1, required: true }),
  field("How many can be issued", { name: "totalQuantity", type: "number", min: 1, required: true, value: 100 }),
  field("Expires at (your local time)", { name: "expiresAt", type: "datetime-local", required: true, value: nextWeek }),
  field("Minimum order (KRW)", { name: "minOrderAmount", type: "number", min: 0, value: 0 }),
  status, h("button", { type: "submit" }, "Create coupon"));
  async function draw() {
    const data = await api("GET", "/coupons", { query: { limit: 100, cursor: query.get("cursor") || "" } });
    const rows = data.items.map((c) => h("tr", {}, h("td", {}, c.code), h("td", {}, couponValue(c)),
      h("td", {}, `${c.issuedCount} / ${c.totalQuantity}`), h("td", {}, c.minOrderAmount ? krw(c.minOrderAmount) : "—"), h("td", {}, `${when(c.expiresAt)} (${c.status})`)));
    list.replaceChildren(rows.length
      ? table("All coupons", ["Code", "Discount", "Issued", "Minimum order", "Expires"], rows, { id: "coupons" })
      : h("p", { class: "muted" }, "No coupons yet."));
  }
  page("Admin: coupons", h("h2", {}, "New coupon"), form, h("h2", {}, "All coupons"), list);
  await draw();
}
