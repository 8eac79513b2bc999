// The figures as a file (GET …/stats/export). A plain link cannot carry the
// bearer token, so the file is fetched like any API call and handed to the
// browser from memory (a Blob URL) as a download.

import { api } from "../../api.js";
import { saveFile } from "../../dom.js";
import { describe } from "../../messages.js";

export const FORMATS = [
  ["csv", "Export CSV", "text/csv"],
  ["jsonl", "Export JSON Lines", "application/jsonl"],
];

/** Download `path` (the export route) with `params` as `format`, saved as `stem.format`; throws {title, text}. */
export async function exportFigures(path, params, format, stem) {
  const [, , type] = FORMATS.find(([f]) => f === format);
  const search = new URLSearchParams(params);
  search.set("format", format);
  let text;
  try {
    text = await api(`${path}?${search}`, { as: "text" });
  } catch (error) {
    if (error.status === 401) throw error;
    const message = describe(error);
    throw Object.assign(new Error(message.title), { title: `The export failed. ${message.title}`, text: message.text });
  }
  const name = `${stem}.${format}`;
  saveFile(text, type, name);
  return name;
}
