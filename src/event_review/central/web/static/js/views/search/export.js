// A search's whole result as a file, exported in the background: the button
// asks the server for an export job, the job's progress (rows written of the
// total) shows while the server's exporter writes the file, and once it is
// done a link downloads it. A plain link cannot carry the bearer token, so the
// file is fetched like any API call and handed to the browser from memory (a
// Blob URL) as a download. API users can still stream a search directly
// (GET /api/v1/search/events/export).

import { api } from "../../api.js";
import { saveFile } from "../../dom.js";
import { describe } from "../../messages.js";

export const FORMATS = [
  ["csv", "Export CSV", "text/csv"],
  ["jsonl", "Export JSON Lines", "application/jsonl"],
];

const POLL_MS = 1000;
const ENDED = new Set(["done", "failed", "expired"]);

function failed(error) {
  if (error.status === 401 || error.name === "AbortError") return error;
  // The route itself missing is FastAPI's bare 404; a filter's own 404 has its code.
  if (error.status === 404 && error.code === "not_found") {
    return Object.assign(new Error("export unavailable"), {
      title: "Export is not available on this server yet.",
      text: "The search itself works; copy this page's link to share it instead.",
    });
  }
  const message = describe(error);
  return Object.assign(new Error(message.title), { title: `The export failed. ${message.title}`, text: message.text });
}

function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("aborted", "AbortError"));
    }, { once: true });
  });
}

/**
 * Export the search of `params` (URLSearchParams of its filters) as `format` in the
 * background; `progress(job)` is told of each state it passes through. Resolves with the
 * finished job; throws {title, text} when it cannot be asked for, fails or expires.
 */
export async function exportSearch(params, format, { progress = () => {}, signal } = {}) {
  const search = new URLSearchParams(params);
  search.set("format", format);
  let job;
  try {
    job = await api(`/api/v1/search/exports?${search}`, { method: "POST", signal });
    progress(job);
    while (!ENDED.has(job.status)) {
      await pause(POLL_MS, signal);
      job = await api(`/api/v1/search/exports/${job.job_id}`, { signal });
      progress(job);
    }
  } catch (error) {
    throw failed(error);
  }
  if (job.status !== "done") {
    throw Object.assign(new Error("export ended"), {
      title: job.status === "failed" ? "The export failed." : "The export has expired.",
      text: job.error || "Export again.",
    });
  }
  return job;
}

/** "120 of 500 rows" for a job under way. */
export function progressText(job) {
  if (job.status === "queued") return "Waiting for the exporter…";
  const total = job.rows_total === null ? "…" : job.rows_total.toLocaleString();
  return `${job.rows_written.toLocaleString()} of ${total} rows written`;
}

export function fileName(job) {
  const stamp = job.created_at.slice(0, 19).replaceAll(":", "").replaceAll("-", "");
  return `events-${stamp}Z.${job.format}`;
}

/** Download a finished job's file; its name. Throws {title, text}. */
export async function downloadJob(job) {
  const [, , type] = FORMATS.find(([f]) => f === job.format);
  let text;
  try {
    text = await api(job.download_url, { as: "text" });
  } catch (error) {
    throw failed(error);
  }
  const name = fileName(job);
  saveFile(text, type, name);
  return name;
}
