// My coupons, and claiming one by its code.
import { api, currentUser } from "../api.js";
import { h, page, errorBox, field } from "../dom.js";
import { krw, when } from "../format.js";
import { go } from "../app.js";

export function couponValue(c) {
  return c.discountType === "PERCENT" ? `${c.value}% off` : `${krw(c.value)} off`;
}

export async function render() {
  if (!(await currentUser())) return go("/login?next=/coupons");
  const status = h("div", { "aria-live": "polite" });
  const list = h("div");
  const form = h("form", { onsubmit: async (e) => {
    e.preventDefault();
    const code = form.elements.code.value.trim();
    status.replaceChildren();
    try {
      const coupon = await api("POST", `/coupons/${encodeURIComponent(code)}/issue`);
      status.replaceChildren(h("p", { class: "notice" }, `Coupon ${coupon.code} claimed: ${couponValue(coupon)}.`));
      form.reset();
      await draw();
    } catch (err) {
      status.replaceChildren(errorBox(err.message));
    }
  } }, field("Coupon code", { name: "code", required: true, maxlength: 64, autocomplete: "off" }), h("button", { type: "submit" }, "Claim"));
  async function draw() {
    const data = await api("GET", "/users/me/coupons", { query: { limit: 100 } });
    list.replaceChildren(data.items.length
      ? h("ul", { id: "my-coupons" }, data.items.map((c) => h("li", {}, h("strong", {}, c.code), ` — ${couponValue(c)} · ${c.status} · expires ${when(c.expiresAt)}`)))
      : h("p", { class: "muted" }, "You have no coupons yet."));
  }
  page("My coupons", h("h2", {}, "Claim a coupon"), form, status, h("h2", {}, "Your coupons"), list);
  await draw();
}
