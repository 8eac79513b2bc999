// The statistics' query lives in the URL (#/stats?since=2026-11-01&until=2026-11-30&group_by=team),
// so a link shows the same figures to whoever opens it and Back goes to the ones
// before. Periods are whole days in the browser's time zone, `until` included;
// a preset (?days=30) stays a rolling one: the link always means "the last 30 days".

export const PRESETS = [7, 30];
export const DEFAULT_DAYS = 7;
export const GROUPINGS = [
  ["reviewer", "Reviewer"],
  ["team", "Team"],
  ["region", "Region"],
];

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const pad = (n) => String(n).padStart(2, "0");

/** A Date's day in the browser's time zone as YYYY-MM-DD (what a date input holds). */
export function dayOf(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** YYYY-MM-DD -> that day's local midnight, or null. */
function midnight(day) {
  if (!DATE.test(day || "")) return null;
  const [y, m, d] = day.split("-").map(Number);
  const date = new Date(y, m - 1, d);
  return Number.isNaN(date.getTime()) || dayOf(date) !== day ? null : date;
}

function addDays(date, days) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
}

/** The query of a #/stats?… hash: {since, until, days, group_by, region, team}. */
export function fromHash(hash) {
  const at = hash.indexOf("?");
  const params = new URLSearchParams(at >= 0 ? hash.slice(at + 1) : "");
  const get = (key) => (params.get(key) || "").trim();
  const days = Number(get("days"));
  return {
    since: get("since"),
    until: get("until"),
    days: PRESETS.includes(days) ? days : null,
    group_by: GROUPINGS.some(([value]) => value === get("group_by")) ? get("group_by") : "reviewer",
    region: get("region"),
    team: get("team"),
  };
}

/** The address of a query, leaving out what is the default. */
export function toHash(query) {
  const params = new URLSearchParams();
  if (query.since || query.until) {
    if (query.since) params.set("since", query.since);
    if (query.until) params.set("until", query.until);
  } else if (query.days && query.days !== DEFAULT_DAYS) {
    params.set("days", String(query.days));
  }
  if (query.group_by && query.group_by !== "reviewer") params.set("group_by", query.group_by);
  if (query.region) params.set("region", query.region);
  if (query.team) params.set("team", query.team);
  const text = params.toString();
  return text ? `#/stats?${text}` : "#/stats";
}

/** {first, last}: the days shown (both included), from explicit dates or a preset. */
export function period(query, today = new Date()) {
  if (query.since || query.until) return { first: query.since, last: query.until };
  const days = query.days || DEFAULT_DAYS;
  return { first: dayOf(addDays(today, 1 - days)), last: dayOf(today) };
}

/** [field, message] for what is wrong with a period: nothing is asked of the server then. */
export function periodProblems({ first, last }) {
  const problems = [];
  const start = midnight(first);
  const end = midnight(last);
  if (!start) problems.push(["since", "Choose the first day."]);
  if (!end) problems.push(["until", "Choose the last day."]);
  if (start && end && end < start) problems.push(["until", "The last day cannot be before the first."]);
  return problems;
}

/** The API's query: instants from the first day's midnight to the midnight after the last. */
export function apiParams(query, { grouped }) {
  const { first, last } = period(query);
  const params = new URLSearchParams();
  params.set("since", midnight(first).toISOString());
  params.set("until", addDays(midnight(last), 1).toISOString());
  if (grouped) {
    params.set("group_by", query.group_by);
    if (query.region) params.set("region", query.region);
    if (query.team) params.set("team", query.team);
  }
  return params;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });

/** "25 Nov 2026 – 1 Dec 2026", for captions and alt text. */
export function periodText(query) {
  const { first, last } = period(query);
  const start = midnight(first);
  const end = midnight(last);
  if (!start || !end) return "the chosen period";
  return first === last ? dayFormat.format(start) : `${dayFormat.format(start)} – ${dayFormat.format(end)}`;
}
