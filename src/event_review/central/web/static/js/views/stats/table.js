// The figures as a table: one row a group (its name the row's header), the counts
// right-aligned, the median as min:s, the decisions and the reasons given most
// in words.

import { formatNumber, h, humanize, replace } from "../../dom.js";
import { messageRow, table } from "../common.js";

const NOUNS = { reviewer: "Reviewer", team: "Team", region: "Region" };
const TOP_REASONS = 3;

export const COUNTS = [
  ["reviews", "Reviews"],
  ["corrections", "Corrections"],
  ["skips", "Skips"],
  ["escalations", "Escalations"],
];

/** 75.4 -> "1:15": the median is read like a stopwatch. */
export function mmss(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const total = Math.round(seconds);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

function percent(share) {
  return share === null || share === undefined ? "—" : `${Math.round(share * 100)} %`;
}

/** A group's name as people read it: regions in capitals, the empty key said. */
export function groupLabel(groupBy, key) {
  if (!key) return groupBy === "team" ? "(no team)" : "(none)";
  return groupBy === "region" ? key.toUpperCase() : key;
}

function breakdown(counts, label, limit = Infinity) {
  const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!entries.length) return h("span", { class: "subtle" }, "—");
  const shown = entries.slice(0, limit).map(([key, n]) => `${label(key)} ${formatNumber(n)}`);
  if (entries.length > limit) shown.push(`+${entries.length - limit} more`);
  return shown.join(" · ");
}

const reasonLabel = (key) => key.replace(":", ": ");

export function createTable(groupBy) {
  const headings = [
    NOUNS[groupBy],
    ...COUNTS.map(([, text]) => [text, "num"]),
    ["Median time", "num"],
    ["Timed", "num"],
    ["QA judged", "num"],
    ["QA agreement", "num"],
    "Decisions",
    "Reasons given most",
  ];
  const body = h("tbody", null, messageRow(headings.length, "Loading…"));
  const node = table("stats-table", headings, body, { cls: "stats-figures" });
  const caption = h("caption", { class: "visually-hidden" },
    `Figures per ${NOUNS[groupBy].toLowerCase()}. Median time is minutes:seconds from first opening an event to submitting its review, over the timed reviews.`);
  node.querySelector("table").prepend(caption);
  // The table scrolls sideways in a narrow window: keyboard users can scroll it too.
  Object.assign(node, { tabIndex: 0 });
  node.setAttribute("role", "region");
  node.setAttribute("aria-labelledby", "stats-figures-title");

  function render(groups) {
    replace(body, groups.length
      ? groups.map((g) => h("tr", { dataset: { key: g.key } },
          h("th", { scope: "row" }, groupLabel(groupBy, g.key)),
          COUNTS.map(([field]) => h("td", { class: "num", dataset: { figure: field } }, formatNumber(g[field]))),
          h("td", { class: "num", dataset: { figure: "median" } }, mmss(g.median_seconds_per_review)),
          h("td", { class: "num", dataset: { figure: "timed_reviews" } }, formatNumber(g.timed_reviews)),
          h("td", { class: "num", dataset: { figure: "qa_judged" } }, formatNumber(g.qa_judged)),
          h("td", { class: "num", dataset: { figure: "qa_agreement" } }, percent(g.qa_agreement)),
          h("td", { dataset: { figure: "decisions" } }, breakdown(g.decisions, humanize)),
          h("td", { dataset: { figure: "reasons" } }, breakdown(g.reasons, reasonLabel, TOP_REASONS)),
        ))
      : messageRow(headings.length, "Nothing was reviewed, skipped or escalated in this period."));
  }

  function message(text) {
    replace(body, messageRow(headings.length, text));
  }

  return { node, render, message };
}
