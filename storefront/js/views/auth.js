// Sign-up and log-in. After logging in the shopper goes back where they were heading (?next=).
import { api, session } from "../api.js";
import { h, page, errorBox, field, formData } from "../dom.js";
import { go, refreshNav } from "../app.js";

function authForm(submitText, fields, onSubmit) {
  const status = h("div", { "aria-live": "polite" });
  const form = h("form", { novalidate: false, onsubmit: async (e) => {
    e.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.replaceChildren();
    try { await onSubmit(formData(form)); } catch (err) { status.replaceChildren(errorBox(err.message)); } finally { button.disabled = false; }
  } }, ...fields, status, h("button", { type: "submit" }, submitText));
  return form;
}

async function logIn(email, password, next) {
  const { token } = await api("POST", "/auth/login", { body: { email, password } });
  session.token = token;
  session.user = null;
  await refreshNav();
  go(next || "/");
}

export function renderLogin(_params, query) {
  const next = query.get("next");
  page("Log in",
    authForm("Log in", [
      field("Email", { name: "email", type: "email", required: true, autocomplete: "email" }),
      field("Password", { name: "password", type: "password", required: true, autocomplete: "current-password" }),
    ], (data) => logIn(data.email, data.password, next)),
    h("p", {}, "New here? ", h("a", { href: `#/signup${next ? `?next=${encodeURIComponent(next)}` : ""}` }, "Create an account")));
}

export function renderSignup(_params, query) {
  const next = query.get("next");
  page("Create an account",
    authForm("Sign up", [
      field("Name", { name: "name", required: true, maxlength: 200, autocomplete: "name" }),
      field("Email", { name: "email", type: "email", required: true, maxlength: 254, autocomplete: "email" }),
      field("Password (8 to 128 characters)", { name: "password", type: "password", required: true, minlength: 8, maxlength: 128, autocomplete: "new-password" }),
    ], async (data) => {
      await api("POST", "/auth/signup", { body: data });
      await logIn(data.email, data.password, next);
    }),
    h("p", {}, "Already have an account? ", h("a", { href: "#/login" }, "Log in")));
}
