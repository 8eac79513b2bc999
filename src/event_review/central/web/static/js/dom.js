// Small DOM helpers. Text always goes in as text nodes (never parsed as HTML),
// so data from the API or a region can never become markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

function setAttributes(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (key === "class") {
      node.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
}

/** h("button", {class: "button", onclick: fn}, "Label") */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttributes(node, attrs);
  append(node, children);
  return node;
}

/** The same for SVG elements (charts drawn in the browser). */
export function s(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attrs);
  append(node, children);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

export function replace(node, ...children) {
  clear(node);
  append(node, children);
  return node;
}

// ---------- formatting ----------

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const shortDateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const numberFormat = new Intl.NumberFormat();

export function formatShortDateTime(iso) {
  return iso ? shortDateTimeFormat.format(new Date(iso)) : "—";
}

export function formatTime(iso) {
  return iso ? timeFormat.format(new Date(iso)) : "—";
}

export function formatDateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "—";
}

export function formatNumber(n) {
  return n === null || n === undefined ? "—" : numberFormat.format(n);
}

/** 75 -> "1 min 15 s", 7300 -> "2 h 1 min" */
export function formatAge(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min ${total % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

/** A countdown: 754 -> "12:34" */
export function formatCountdown(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const minutes = Math.floor(total / 60);
  return `${minutes}:${String(total % 60).padStart(2, "0")}`;
}

export function relativeTime(iso, now = Date.now()) {
  if (!iso) return "";
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

/** "3 min ago" that refreshTimes() keeps current while the page stays open. */
export function timeAgo(iso, now) {
  return h("span", { "data-time-ago": iso }, relativeTime(iso, now));
}

export function refreshTimes(root, now) {
  for (const node of root.querySelectorAll("[data-time-ago]")) {
    const text = relativeTime(node.dataset.timeAgo, now);
    if (node.textContent !== text) node.textContent = text;
  }
}

/** "harsh_braking" -> "Harsh braking" */
export function humanize(value) {
  if (!value) return "—";
  const text = String(value).replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function priorityLevel(priority) {
  if (priority >= 60) return "high";
  if (priority >= 30) return "medium";
  return "low";
}

// ---------- announcements ----------

// Elements a toast must never cover (the review's submit button): when one
// would, the toasts move to the other edge of the window.
const keepClear = new Set();

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

function placeToasts() {
  const region = document.getElementById("toasts");
  if (!region || !region.children.length) return;
  const covers = () => {
    const box = region.getBoundingClientRect();
    return [...keepClear].some((node) => node.isConnected && overlaps(box, node.getBoundingClientRect()));
  };
  region.classList.remove("top");
  if (covers()) region.classList.add("top");
}

/** Keep toasts off `node` while it is on the page; returns the undo. */
export function keepClearOfToasts(node) {
  keepClear.add(node);
  placeToasts();
  return () => keepClear.delete(node);
}

// Any scroll (the page's or a panel's) or resize can bring the two together.
document.addEventListener("scroll", placeToasts, { capture: true, passive: true });
window.addEventListener("resize", placeToasts, { passive: true });

/** A short, polite message in the corner; screen readers hear it too. */
export function toast(message, kind = "info", ms = 4500) {
  const region = document.getElementById("toasts");
  const node = h("div", { class: ["toast", kind] }, message);
  region.append(node);
  while (region.children.length > 2) region.firstChild.remove();
  placeToasts();
  setTimeout(() => node.remove(), ms);
}

/** A notice block: title, text and optional action buttons. */
export function notice(kind, title, text, actions = []) {
  return h("div", { class: ["notice", kind], role: kind === "error" || kind === "warn" ? "alert" : null },
    h("div", { class: "notice-body" },
      title ? h("p", { class: "notice-title" }, title) : null,
      text ? h("p", null, text) : null,
      actions.length ? h("div", { class: "notice-actions" }, actions) : null,
    ),
  );
}

/** A modal confirmation; resolves true when confirmed. */
export function confirmDialog({ title, text, confirm = "Confirm", danger = false }) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title),
      text ? h("p", { class: "muted" }, text) : null,
      h("form", { method: "dialog", class: "dialog-actions" },
        h("button", { class: "button", value: "cancel" }, "Cancel"),
        h("button", { class: ["button", danger ? "danger" : "primary"], value: "ok" }, confirm),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Copy text, with a toast either way (the clipboard may be refused). */
export async function copyText(text, what = "Copied") {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} to the clipboard.`, "ok");
  } catch {
    toast("Could not copy automatically; select the text and copy it.", "warn");
  }
}

/** Hand `text` to the browser as a download named `name` (a file fetched with the bearer token, which a plain link cannot carry). */
export function saveFile(text, type, name) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL by now; a moment later it can go.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
