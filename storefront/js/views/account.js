// My account: who I am, my points, and the delivery address orders are sent to (saved with PUT /users/me/address).
import { api, currentUser, session } from "../api.js";
import { h, page, errorBox, field, formData } from "../dom.js";
import { go } from "../app.js";

// The address's fields, in the API's names, with their labels (also used to name a refused field in words).
export const ADDRESS_FIELDS = [
  ["recipient", "Recipient's name", { required: true, maxlength: 200, autocomplete: "name" }],
  ["phone", "Phone number", { required: true, maxlength: 32, type: "tel", autocomplete: "tel", placeholder: "010-1234-5678" }],
  ["line1", "Address line 1", { required: true, maxlength: 200, autocomplete: "address-line1" }],
  ["line2", "Address line 2 (optional)", { maxlength: 200, autocomplete: "address-line2" }],
  ["city", "City", { required: true, maxlength: 100, autocomplete: "address-level2" }],
  ["postalCode", "Postal code", { required: true, maxlength: 20, autocomplete: "postal-code" }],
  ["country", "Country (two-letter code, e.g. KR)", { required: true, minlength: 2, maxlength: 2, autocomplete: "country", pattern: "[A-Za-z]{2}" }],
];

// The address fields, filled from ``address``; ``prefix`` keeps ids apart when a page has two address forms.
export function addressFields(address, prefix = "addr") {
  return ADDRESS_FIELDS.map(([name, label, attrs]) =>
    field(label, { ...attrs, name, id: `${prefix}-${name}`, value: (address && address[name]) || (name === "country" ? "KR" : "") }));
}

// The body the API expects from those fields (the country upper-cased, an empty second line left out).
export function addressFrom(form) {
  const data = formData(form);
  const address = {};
  for (const [name] of ADDRESS_FIELDS) {
    const value = (data[name] || "").trim();
    if (value || name !== "line2") address[name] = name === "country" ? value.toUpperCase() : value;
  }
  return address;
}

// "postalCode: String should have at least 1 character" -> "Postal code: String should have at least 1 character"
export function inWords(message) {
  for (const [name, label] of ADDRESS_FIELDS) {
    for (const path of [`shippingAddress.${name}:`, `${name}:`]) {
      if (message.startsWith(path)) return `${label}: ${message.slice(path.length).trim()}`;
    }
  }
  return message;
}

export function addressText(a) {
  return [a.recipient, a.phone, a.line1, a.line2, `${a.city} ${a.postalCode}`, a.country].filter(Boolean).join(", ");
}

export async function render() {
  const user = await currentUser();
  if (!user) return go("/login?next=/account");
  const status = h("div", { "aria-live": "polite" });
  const saved = h("p", { id: "saved-address" }, user.address ? addressText(user.address) : "No address saved yet.");
  const form = h("form", { id: "address-form", onsubmit: async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.replaceChildren();
    try {
      const address = await api("PUT", "/users/me/address", { body: addressFrom(form) });
      session.user = { ...user, address };
      saved.textContent = addressText(address);
      status.replaceChildren(h("p", { class: "notice" }, "Address saved."));
    } catch (err) {
      status.replaceChildren(errorBox(inWords(err.message)));
    } finally {
      button.disabled = false;
    }
  } }, h("fieldset", {}, h("legend", {}, "Delivery address"), addressFields(user.address)), status, h("button", { type: "submit" }, "Save address"));
  page("My account",
    h("dl", { class: "facts" }, h("dt", {}, "Name"), h("dd", {}, user.name), h("dt", {}, "Email"), h("dd", {}, user.email),
      h("dt", {}, "Points"), h("dd", {}, user.points.toLocaleString("en"))),
    h("h2", {}, "Saved address"), saved,
    user.role === "admin" ? h("p", { class: "muted" }, "Addresses are for customers' orders.") : form);
}
