// A search's whole result as a file. A plain link cannot carry the bearer
// token, so the file is fetched like any API call and handed to the browser
// from memory (a Blob URL) as a download.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { describe } from "../../messages.js";

export const FORMATS = [
  ["csv", "Export CSV", "text/csv"],
  ["jsonl", "Export JSON Lines", "application/jsonl"],
];

function fileName(format) {
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(":", "").replace("T", "-");
  return `events-${stamp}.${format}`;
}

function save(text, type, name) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL by now; a moment later it can go.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Download the search of `params` (URLSearchParams of its filters) as `format`; throws {title, text}. */
export async function exportSearch(params, format) {
  const [, , type] = FORMATS.find(([f]) => f === format);
  const search = new URLSearchParams(params);
  search.set("format", format);
  let text;
  try {
    text = await api(`/api/v1/search/events/export?${search}`, { as: "text" });
  } catch (error) {
    if (error.status === 401) throw error;
    // The route itself missing is FastAPI's bare 404; a filter's own 404 has its code.
    if (error.status === 404 && error.code === "not_found") {
      throw Object.assign(new Error("export unavailable"), {
        title: "Export is not available on this server yet.",
        text: "The search itself works; copy this page's link to share it instead.",
      });
    }
    const message = describe(error);
    throw Object.assign(new Error(message.title), { title: `The export failed. ${message.title}`, text: message.text });
  }
  const name = fileName(format);
  save(text, type, name);
  return name;
}
