// A review's history (GET /events/{id}/revisions): every revision, first to
// latest, who made it and why, each read in the terms of the form version it
// was made with. A revision whose typed text its region keeps shows that text
// as read from the region (review-text.js), marked so.

import { formatDateTime, h, humanize, replace } from "../../dom.js";
import { formVersion } from "../../forms/cache.js";
import { answerRows, revisionAsReview } from "../../forms/summary.js";
import { markRows, noteCell, withText } from "../../review-text.js";

const KINDS = { review: "Review", correction: "Correction", qa: "QA correction" };

/** The forms of the revisions, by "key@version"; a version that cannot be had is left out (its answers show by key). */
async function formsOf(revisions) {
  const refs = [...new Set(revisions.map((r) => `${r.form_key}@${r.form_version}`))];
  const found = await Promise.all(refs.map(async (ref) => {
    const [key, version] = ref.split("@");
    try {
      return [ref, await formVersion(key, Number(version))];
    } catch (error) {
      if (error.status === 401) throw error;
      return [ref, null];
    }
  }));
  return new Map(found);
}

function answersList(revision, form, typed, region) {
  // The form has its own column; empty answers say nothing.
  const rows = markRows(answerRows(withText(revisionAsReview(revision), typed), form), typed, region)
    .filter(([label, value]) => label !== "Form" && value !== null && value !== undefined && value !== "");
  return h("dl", { class: "answer-list" }, rows.map(([label, value]) => h("div", null, h("dt", null, label), h("dd", null, value))));
}

/**
 * The history card's table body, for `revisions` (oldest first); the newest row
 * is marked current. `text`: the event's regionText when some revision's typed
 * text was cleared here, else null.
 */
export async function historyRows(revisions, text = null) {
  const forms = await formsOf(revisions);
  const latest = revisions.length ? revisions[revisions.length - 1].revision : null;
  return revisions.map((r) => {
    const form = forms.get(`${r.form_key}@${r.form_version}`);
    const typed = text ? text.view(r.revision) : null;
    const region = text ? text.region : null;
    return h("tr", { "data-revision": r.revision },
      h("th", { scope: "row" }, `${r.revision}${r.revision === latest ? " (current)" : ""}`),
      h("td", null, KINDS[r.kind] || humanize(r.kind)),
      h("td", null, r.reviewer, h("div", { class: "muted" }, formatDateTime(r.created_at))),
      h("td", null, form ? `${form.definition.title}, v${r.form_version}` : `${r.form_key}, v${r.form_version}`),
      h("td", null, answersList(r, form, typed, region)),
      h("td", { class: "note" }, noteCell(r.note, typed, region)));
  });
}

/** Fill `body` (a tbody) with the history, or say why it cannot be shown. */
export async function showHistory(body, revisions, text = null) {
  replace(body, revisions.length ? await historyRows(revisions, text) : h("tr", null, h("td", { class: "empty", colspan: 6 }, "No review yet.")));
}
