// Admin: create or edit one product, and upload its images straight to S3 (pre-signed POST, with progress), then
// follow each image from PENDING to READY (with its thumbnail) or REJECTED.
import { api } from "../api.js";
import { h, page, errorBox, field, formData } from "../dom.js";
import { go } from "../app.js";
import { pollUntil } from "../poll.js";
import { requireAdmin } from "./admin-products.js";

export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"];
const POLL_FIRST_MS = 400;
const POLL_MAX_MS = 3000;
const POLL_DEADLINE_MS = 120000;

function productFields(p = {}) {
  return [
    field("Name", { name: "name", required: true, maxlength: 200, value: p.name || "" }),
    field("Description", { name: "description", required: true, maxlength: 5000, value: p.description || "" }, "textarea"),
    field("Price (KRW)", { name: "price", type: "number", min: 0, step: 1, required: true, value: p.price ?? "" }),
    field("Stock", { name: "stock", type: "number", min: 0, step: 1, required: true, value: p.stock ?? "" }),
    field("Category", { name: "category", required: true, value: p.category || "" }),
  ];
}

function productBody(form) {
  const data = formData(form);
  return { name: data.name.trim(), description: data.description, price: Number(data.price), stock: Number(data.stock), category: data.category.trim() };
}

// The multipart POST to S3, with upload progress (fetch has none); resolves when S3 accepted the file.
export function postToS3(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [key, value] of Object.entries(upload.fields)) body.append(key, value);
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => (xhr.status < 300 ? resolve() : reject(new Error(`The storage refused the file (HTTP ${xhr.status}).`)));
    xhr.onerror = () => reject(new Error("The upload could not reach the storage. Try again."));
    xhr.send(body);
  });
}

function imageItem(image) {
  const words = { PENDING: "Processing…", READY: "Ready", REJECTED: "Rejected: not a valid image" }[image.status] || image.status;
  return h("li", { "data-image-id": image.imageId, "data-status": image.status },
    image.status === "READY" ? h("img", { src: image.thumbnailUrl, alt: `Thumbnail of image ${image.imageId}` }) : null,
    h("span", { class: `status ${image.status === "READY" ? "CONFIRMED" : image.status === "REJECTED" ? "FAILED" : ""}` }, words));
}

async function imagesSection(product, left) {
  const list = h("ul", { class: "images", id: "images", "aria-live": "polite" });
  const status = h("div", { "aria-live": "polite" });
  const progress = h("progress", { max: 100, value: 0, id: "upload-progress", "aria-label": "Upload progress", hidden: true });
  let images = product.images || [];
  const draw = () => list.replaceChildren(...images.map(imageItem));
  draw();

  // follows one image until it is READY or REJECTED (or two minutes pass)
  const follow = (imageId) => pollUntil(async () => {
    const fresh = await api("GET", `/products/${encodeURIComponent(product.productId)}`);
    images = fresh.images || [];
    draw();
    const image = images.find((i) => i.imageId === imageId);
    return Boolean(image && image.status !== "PENDING");
  }, { firstMs: POLL_FIRST_MS, maxMs: POLL_MAX_MS, deadlineMs: POLL_DEADLINE_MS, left });

  const form = h("form", { onsubmit: async (e) => {
    e.preventDefault();
    const file = form.elements.file.files[0];
    status.replaceChildren();
    if (!file) return status.replaceChildren(errorBox("Choose a picture first."));
    if (!IMAGE_TYPES.includes(file.type)) return status.replaceChildren(errorBox("Pictures must be JPEG, PNG or WebP."));
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const grant = await api("POST", `/products/${encodeURIComponent(product.productId)}/images`, { body: { contentType: file.type, contentLength: file.size } });
      progress.hidden = false;
      progress.value = 0;
      await postToS3(grant.upload, file, (share) => { progress.value = Math.round(share * 100); });
      progress.value = 100;
      status.replaceChildren(h("p", { class: "notice" }, "Uploaded; the picture is being checked…"));
      images = [...images.filter((i) => i.imageId !== grant.imageId), { imageId: grant.imageId, status: "PENDING" }];
      draw();
      form.reset();
      await follow(grant.imageId);
      const image = images.find((i) => i.imageId === grant.imageId);
      status.replaceChildren(image && image.status === "READY" ? h("p", { class: "notice" }, "The picture is ready.")
        : errorBox(image && image.status === "REJECTED" ? "The file was rejected: it is not a valid picture." : "The picture is still being processed; reload later."));
    } catch (err) {
      status.replaceChildren(errorBox(err.message));
    } finally {
      button.disabled = false;
    }
  } },
  field("Picture (JPEG, PNG or WebP, at most 5 MiB)", { name: "file", type: "file", accept: IMAGE_TYPES.join(",") }),
  progress, h("p"), h("button", { type: "submit" }, "Upload"));
  return [h("h2", {}, "Pictures"), list, form, status];
}

export async function render({ productId }, _query, left) {
  if (!(await requireAdmin(productId ? `/admin/products/${productId}` : "/admin/products/new"))) return;
  const product = productId ? await api("GET", `/products/${encodeURIComponent(productId)}`) : null;
  const status = h("div", { "aria-live": "polite" });
  const form = h("form", { onsubmit: async (e) => {
    e.preventDefault();
    status.replaceChildren();
    try {
      if (product) {
        await api("PATCH", `/products/${encodeURIComponent(product.productId)}`, { body: productBody(form) });
        status.replaceChildren(h("p", { class: "notice" }, "Saved."));
      } else {
        const created = await api("POST", "/products", { body: productBody(form) });
        go(`/admin/products/${encodeURIComponent(created.productId)}`);
      }
    } catch (err) {
      status.replaceChildren(errorBox(err.message));
    }
  } }, ...productFields(product || {}), status, h("button", { type: "submit" }, product ? "Save" : "Create product"));
  page(product ? `Edit: ${product.name}` : "New product",
    h("p", {}, h("a", { href: "#/admin/products" }, "All products"), product ? [" · ", h("a", { href: `#/products/${encodeURIComponent(product.productId)}` }, "See it in the shop")] : null),
    form, ...(product ? await imagesSection(product, left) : [h("p", { class: "muted" }, "Create the product first, then add its pictures.")]));
}
