// Start-up and the hash router: each route is a view module's ``render(params, query)``.
import { loadConfig, currentUser, logout, cart, session } from "./api.js";
import { h, page, errorBox } from "./dom.js";

const ROUTES = [
  ["/", () => import("./views/catalog.js")],
  ["/products/:productId", () => import("./views/product.js")],
  ["/login", () => import("./views/auth.js").then((m) => ({ render: m.renderLogin }))],
  ["/signup", () => import("./views/auth.js").then((m) => ({ render: m.renderSignup }))],
  ["/cart", () => import("./views/cart.js")],
  ["/checkout", () => import("./views/checkout.js").then((m) => ({ render: m.renderCart }))],
  ["/checkout/:productId", () => import("./views/checkout.js")],
  ["/account", () => import("./views/account.js")],
  ["/orders", () => import("./views/orders.js")],
  ["/orders/:orderId", () => import("./views/order.js")],
  ["/coupons", () => import("./views/coupons.js")],
  ["/admin/products", () => import("./views/admin-products.js")],
  ["/admin/products/new", () => import("./views/admin-product.js")],
  ["/admin/products/:productId", () => import("./views/admin-product.js")],
  ["/admin/coupons", () => import("./views/admin-coupons.js")],
  ["/admin/stats", () => import("./views/admin-stats.js")],
  ["/admin/orders", () => import("./views/admin-orders.js")],
];

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, load] of ROUTES) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(":") ? ((params[w.slice(1)] = decodeURIComponent(parts[i])), true) : w === parts[i]))) {
      return { load, params };
    }
  }
  return null;
}

export function go(path) {
  location.hash = `#${path}`;
}

async function renderNav() {
  const user = await currentUser();
  const links = [["#/", "Shop"]];
  const customer = user && user.role !== "admin";
  if (user) links.push(["#/orders", "My orders"], ["#/coupons", "My coupons"], ["#/account", "My account"]);
  if (user && user.role === "admin") links.push(["#/admin/orders", "Admin: orders"], ["#/admin/products", "Admin: products"], ["#/admin/coupons", "Admin: coupons"], ["#/admin/stats", "Admin: stats"]);
  const items = links.map(([href, text]) => h("li", {}, h("a", { href }, text)));
  if (customer) {
    items.splice(1, 0, h("li", {}, h("a", { href: "#/cart", id: "cart-link" }, "Cart (", h("span", { id: "cart-count" }, String(session.cartCount ?? 0)), ")")));
    cart.get().catch(() => {}); // the count, fresh on every page (an order confirmed since takes its lines off)
  }
  if (user) {
    items.push(h("li", {}, h("span", { class: "muted" }, `${user.name} · ${user.points.toLocaleString("en")} points `),
      h("button", { class: "secondary", type: "button", onclick: () => { logout(); go("/"); route(); } }, "Log out")));
  } else {
    items.push(h("li", {}, h("a", { href: "#/login" }, "Log in")), h("li", {}, h("a", { href: "#/signup" }, "Sign up")));
  }
  document.getElementById("nav").replaceChildren(...items);
}

let current = 0;

export async function route() {
  const token = ++current;
  const [path, search = ""] = (location.hash.slice(1) || "/").split("?");
  const found = match(path);
  renderNav();
  if (!found) {
    page("Page not found", h("p", {}, h("a", { href: "#/" }, "Back to the shop")));
    return;
  }
  try {
    const view = await found.load();
    if (token !== current) return;
    await view.render(found.params, new URLSearchParams(search), () => token !== current);
  } catch (err) {
    if (token === current) page("Something went wrong", errorBox(err.message));
  }
}

export function refreshNav() {
  return renderNav();
}

addEventListener("hashchange", route);
document.addEventListener("buynest:cart", (event) => {
  const count = document.getElementById("cart-count");
  if (count) count.textContent = String(event.detail);
});
loadConfig().then(route, (err) => page("The shop is not configured", errorBox(err.message)));
