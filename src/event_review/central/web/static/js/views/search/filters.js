// A search's filters live in the URL (#/search?region=eu&status=submitted&reason=cause:pothole),
// so a link runs the same search for whoever opens it and Back goes to the one
// before. The names and values are the API's own, times as ISO instants: a link
// sent to a colleague in another time zone means the same moments.

export const STATUSES = [
  ["pending", "Pending"],
  ["assigned", "Assigned"],
  ["submitted", "Submitted"],
  ["completed", "Completed"],
];

export const SORTS = [
  ["ingested", "Newest ingested first"],
  ["reviewed", "Newest reviewed first (reviewed events only)"],
];

// Repeatable parameters, then single ones, in the order a URL lists them.
export const LISTS = ["region", "status"];
export const SINGLES = [
  "event_type", "device_id", "external_event_id", "decision", "reason", "reviewer",
  "occurred_from", "occurred_until", "ingested_from", "ingested_until",
  "reviewed_from", "reviewed_until", "sort",
];
// [from, until, what] of each time range.
export const RANGES = [
  ["occurred_from", "occurred_until", "Occurred"],
  ["ingested_from", "ingested_until", "Ingested"],
  ["reviewed_from", "reviewed_until", "Reviewed"],
];
export const DEFAULT_SORT = "ingested";

/** The filters of a #/search?… hash: {region: [...], status: [...], event_type: "", ...}. */
export function fromHash(hash) {
  const at = hash.indexOf("?");
  const params = new URLSearchParams(at >= 0 ? hash.slice(at + 1) : "");
  const filters = {};
  for (const key of LISTS) filters[key] = [...new Set(params.getAll(key).map((v) => v.trim()).filter(Boolean))];
  for (const key of SINGLES) filters[key] = (params.get(key) || "").trim();
  return filters;
}

/** The filters as URL parameters, leaving out the empty ones and the default sort. */
export function toParams(filters) {
  const params = new URLSearchParams();
  for (const key of LISTS) for (const value of filters[key] || []) params.append(key, value);
  for (const key of SINGLES) {
    const value = filters[key];
    if (!value || (key === "sort" && value === DEFAULT_SORT)) continue;
    params.set(key, value);
  }
  return params;
}

export function toHash(filters) {
  const text = toParams(filters).toString();
  return text ? `#/search?${text}` : "#/search";
}

/** A datetime-local value (the browser's own time) as an instant the API takes, or "". */
export function instant(local) {
  if (!local) return "";
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString().replace(".000Z", "Z");
}

/** An instant as a datetime-local value in the browser's own time, or "" if it is not one. */
export function localInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** [field, message] for each range whose end is not after its start: the API would find nothing. */
export function rangeProblems(filters) {
  const problems = [];
  for (const [from, until, what] of RANGES) {
    const start = Date.parse(filters[from]);
    const end = Date.parse(filters[until]);
    if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start) {
      problems.push([until, `${what} until must be after ${what.toLowerCase()} from (until is not included).`]);
    }
  }
  return problems;
}
