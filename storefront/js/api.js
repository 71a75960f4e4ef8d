// The one client of the Buynest API: base URL from config.json, bearer token, errors as readable messages.
let base = "";
const TOKEN_KEY = "buynest.token";

export async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-cache" });
  if (!response.ok) throw new Error("config.json is missing: deploy the storefront with `make up`");
  base = (await response.json()).apiUrl;
}

export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  set token(value) { value ? localStorage.setItem(TOKEN_KEY, value) : localStorage.removeItem(TOKEN_KEY); },
  user: null,
  cartCount: null, // items in the cart, as the header shows it
};

const WORDS = {
  UNAUTHORIZED: "Please log in first (or your session has expired).",
  FORBIDDEN: "Only an admin can do this.",
  INVALID_CREDENTIALS: "That email and password do not match an account.",
  TOO_MANY_ATTEMPTS: "Too many failed log-ins: wait a few minutes and try again.",
  EMAIL_TAKEN: "An account with this email already exists: log in instead.",
  ALREADY_ISSUED: "You have already claimed this coupon.",
  SOLD_OUT: "This coupon has run out.",
  EXPIRED: "This coupon has expired.",
  CODE_TAKEN: "A coupon with this code already exists.",
  NOT_CANCELLABLE: "This order can no longer be cancelled (only a confirmed order that has not been shipped can).",
  CART_FULL: "Your cart is full (at most 50 different products): remove something first.",
  CART_EMPTY: "Your cart is empty: add something to it first.",
  NOT_SHIPPABLE: "This order cannot be shipped: only a confirmed, not yet shipped order with a delivery address can.",
  NOT_DELIVERABLE: "This order cannot be marked delivered: it has not been shipped (or is delivered already).",
  NOT_FOUND: "It is not there (any more).",
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(WORDS[code] ? `${WORDS[code]} (${message})` : message);
    this.status = status;
    this.code = code;
  }
}

// Calls the API; resolves to the parsed JSON body (null for 204), rejects with an ApiError in words.
export async function api(method, path, { body, query, headers = {} } = {}) {
  const url = new URL(base + path);
  for (const [key, value] of Object.entries(query || {})) if (value !== undefined && value !== "") url.searchParams.set(key, value);
  const init = { method, headers: { ...headers } };
  if (session.token) init.headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, "NETWORK", "The shop's server cannot be reached. Check your connection and try again.");
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const err = (data && data.error) || {};
    if (response.status === 401 && session.token) session.token = null;
    throw new ApiError(response.status, err.code || `HTTP_${response.status}`, err.message || `The server answered ${response.status}.`);
  }
  return data;
}

export async function currentUser() {
  if (!session.token) return null;
  if (!session.user) {
    try { session.user = await api("GET", "/users/me"); } catch { session.user = null; }
  }
  return session.user;
}

export function logout() {
  session.token = null;
  session.user = null;
  session.cartCount = null;
}

// The cart: every call answers the whole cart; the header's count follows the last answer.
function counted(cart) {
  session.cartCount = cart ? cart.items.reduce((n, line) => n + line.quantity, 0) : 0;
  document.dispatchEvent(new CustomEvent("buynest:cart", { detail: session.cartCount }));
  return cart;
}

export const cart = {
  get: () => api("GET", "/cart").then(counted),
  set: (productId, quantity) => api("PUT", `/cart/items/${encodeURIComponent(productId)}`, { body: { quantity } }).then(counted),
  remove: (productId) => api("DELETE", `/cart/items/${encodeURIComponent(productId)}`).then(counted),
  empty: () => api("DELETE", "/cart").then(() => counted(null)),
};
