// Building the page from data without innerHTML: text is always text, never markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "value") el.value = value; // a property: <textarea> has no value attribute
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let fieldCount = 0;

// A labelled form field: <div class=field><label for=…>…</label><input id=…></div>.
export function field(label, attrs = {}, tag = "input") {
  const id = attrs.id || `f${++fieldCount}`;
  const control = h(tag, { ...attrs, id });
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

export function selectField(label, name, options, value) {
  const wrap = field(label, { name }, "select");
  const select = wrap.querySelector("select");
  for (const [optValue, text] of options) select.append(h("option", { value: optValue, selected: optValue === value }, text));
  return wrap;
}

// A table that scrolls sideways on a phone; the scrolling region is focusable and named, for keyboards.
export function table(caption, headings, rows, attrs = {}) {
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h("table", attrs, h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)));
}

export function errorBox(message) {
  return h("p", { class: "error", role: "alert" }, message);
}

export function announce(text) {
  const region = document.getElementById("announce");
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 30);
}

// Show ``nodes`` as the page, with ``title`` as its heading and document title; focus moves to the page.
export function page(title, ...nodes) {
  const main = document.getElementById("main");
  document.title = `${title} · Buynest`;
  main.replaceChildren(h("h1", {}, title), ...nodes);
  main.focus({ preventScroll: true });
  return main;
}

export function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}
