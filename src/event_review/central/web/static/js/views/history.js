// My history (#/history): what the signed-in user reviewed, corrected, skipped,
// escalated and judged in QA, newest first, paged by cursor; each row links to
// its event.

import { api, query } from "../api.js";
import { formatDateTime, h, humanize, replace } from "../dom.js";
import { cursorPager, errorNotice, messageRow, pageHead, PAGE_SIZE, table } from "./common.js";
import { currentForms, labeller } from "./search/forms.js";

const COLUMNS = ["Time", "Action", "Event", "Details"];
const SKIP_REASONS = {
  unclear: "unclear",
  needs_expert: "needs an expert",
  conflict_of_interest: "conflict of interest",
  payload_unavailable: "payload unavailable",
  other: "other",
};

/** What the user did, in words. */
export function actionText(entry) {
  const details = entry.details || {};
  switch (entry.action) {
    case "event.reviewed":
      return "Reviewed";
    case "event.corrected":
      return details.kind === "qa" ? "Corrected in QA" : "Corrected";
    case "event.skipped":
      return details.reason ? `Skipped (${SKIP_REASONS[details.reason] || humanize(details.reason).toLowerCase()})` : "Skipped";
    case "event.escalated":
      return "Escalated";
    case "qa.verdict":
      return details.verdict ? `QA verdict: ${details.verdict}` : "QA verdict";
    default:
      return humanize(entry.action);
  }
}

function detailsText(entry, labels) {
  const details = entry.details || {};
  const formKey = typeof details.form === "string" ? details.form.split("@")[0] : null;
  const parts = [];
  if (details.decision) parts.push(labels.decision(formKey, details.decision));
  if (details.rating !== null && details.rating !== undefined) parts.push(`rating ${details.rating}`);
  if (details.revision) parts.push(`revision ${details.revision}`);
  return parts.length ? parts.join(" · ") : null;
}

function historyRow(entry, labels) {
  const text = detailsText(entry, labels);
  return h("tr", { dataset: { action: entry.action, eventId: entry.event_id || "" } },
    h("td", { class: "nowrap" }, formatDateTime(entry.occurred_at)),
    h("td", null, actionText(entry)),
    h("td", null, entry.event_id
      ? h("a", { href: `#/events/${entry.event_id}`, class: "mono", title: `Event ${entry.event_id}` }, `${entry.event_id.slice(0, 8)}…`)
      : h("span", { class: "subtle" }, "—")),
    h("td", null, text || h("span", { class: "subtle" }, "—")),
  );
}

export function mount(container) {
  const state = { cursors: [null] };
  const controller = new AbortController();
  const signal = controller.signal;
  const status = h("div", { id: "history-status" });
  const body = h("tbody", null, messageRow(COLUMNS.length, "Loading…"));
  const foot = h("div");
  // Labels for the decisions; without the forms the keys show.
  const forms = currentForms({ signal }).catch(() => []);

  container.append(h("div", { class: "page" },
    pageHead("My history", "What you reviewed, corrected, skipped, escalated and judged in QA, newest first."),
    status,
    h("section", { class: "card" }, table("history-table", COLUMNS, body), foot),
  ));

  async function load() {
    try {
      const cursor = state.cursors[state.cursors.length - 1];
      const [page, list] = await Promise.all([
        api(`/api/v1/me/history${query({ limit: PAGE_SIZE, cursor })}`, { signal }),
        forms,
      ]);
      const labels = labeller(list);
      replace(status);
      replace(body, page.items.length
        ? page.items.map((entry) => historyRow(entry, labels))
        : messageRow(COLUMNS.length, "Nothing yet: what you review, skip or escalate shows here."));
      replace(foot, cursorPager(state, load, { count: page.items.length, nextCursor: page.next_cursor }));
    } catch (error) {
      if (error.name !== "AbortError" && error.status !== 401) replace(status, errorNotice(error));
    }
  }

  load();
  return () => controller.abort();
}
