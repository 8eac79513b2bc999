// A form's guidelines and descriptions arrive as HTML the server rendered from
// Markdown with raw HTML off. They are still parsed inert (DOMParser runs no
// script and loads nothing) and copied node by node through an allow-list,
// so a fault on either side can never put a script, a style or an event
// handler on the page. Headings move down to fit under the panel's own.

import { h } from "../dom.js";

const ALLOWED = new Set([
  "p", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "br", "hr", "a",
  "table", "thead", "tbody", "tr", "th", "td", "h3", "h4", "h5", "h6", "del", "s",
]);
const HEADINGS = { h1: "h3", h2: "h4", h3: "h5", h4: "h6", h5: "h6", h6: "h6" };
const SAFE_LINK = /^(https?:|mailto:|#)/i;

function copy(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.data);
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const source = node.tagName.toLowerCase();
  const tag = HEADINGS[source] || source;
  const children = [...node.childNodes].map(copy);
  if (!ALLOWED.has(tag)) return children; // keep the text, drop the element
  const attrs = {};
  if (tag === "a") {
    const href = node.getAttribute("href") || "";
    if (!SAFE_LINK.test(href)) return children;
    // Off to a new tab: the reviewer's screen, lease and draft stay as they are.
    Object.assign(attrs, { href, target: "_blank", rel: "noopener noreferrer" });
  }
  // A table column's alignment comes as a style attribute, which the CSP forbids: a class instead.
  const align = (node.getAttribute("style") || "").match(/^text-align:\s*(left|right|center)$/);
  if (align && (tag === "th" || tag === "td")) attrs.class = `align-${align[1]}`;
  if (tag === "th" && node.closest("thead")) attrs.scope = "col";
  return h(tag, attrs, children);
}

/** Nodes for server-rendered `html` (or none for an empty text). */
export function markup(html) {
  if (!html) return [];
  const parsed = new DOMParser().parseFromString(html, "text/html");
  return [...parsed.body.childNodes].map(copy).flat(Infinity).filter(Boolean);
}

/** The same, for a place that takes phrasing content only (a label): one paragraph is unwrapped. */
export function inlineMarkup(html) {
  const nodes = markup(html).filter((n) => n.nodeType !== Node.TEXT_NODE || n.data.trim());
  if (nodes.length === 1 && nodes[0].tagName === "P") return [...nodes[0].childNodes];
  return nodes;
}

/** A block of rendered Markdown, class `prose`. */
export function prose(html, attrs = {}) {
  return h("div", { ...attrs, class: ["prose", attrs.class] }, markup(html));
}
