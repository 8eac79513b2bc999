// A review's answers read back in the terms of the form version it was made
// with: labels instead of keys, a rating as "4 of 5 · Good footage". An
// answer the form does not know (or no form at hand) shows its key.

import { humanize } from "../dom.js";

function label(items, key) {
  const found = (items || []).find((item) => item.key === key);
  return found ? found.label : humanize(key);
}

function fieldText(spec, value) {
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (spec && spec.kind === "choice") return label(spec.options, value);
  return String(value);
}

/** The keys of `answered` in the form's order, then any the form does not know. */
function ordered(answered, items) {
  const known = (items || []).map((item) => item.key).filter((key) => key in answered);
  return [...known, ...Object.keys(answered).filter((key) => !known.includes(key))];
}

/**
 * [heading, text, place] for an event's review; `form` is its FormOut, or null
 * if it could not be had. `place` names what reviewers type ("comment",
 * "fields.KEY"), so a caller can say where that text came from.
 */
export function answerRows(event, form) {
  const def = form ? form.definition : null;
  const answers = event.review_answers || {};
  const rows = [];
  if (event.review_form_key) {
    const name = def ? `${def.title} (${event.review_form_key}, version ${event.review_form_version})` : `${event.review_form_key}, version ${event.review_form_version}`;
    rows.push(["Form", name]);
  }
  rows.push(["Decision", def ? label(def.decisions, event.review_decision) : humanize(event.review_decision)]);
  const lists = answers.reasons || {};
  for (const key of ordered(lists, def && def.reasons)) {
    const codes = lists[key];
    const list = def ? def.reasons.find((r) => r.key === key) : null;
    rows.push([list ? list.label : humanize(key), codes.map((code) => label(list && list.options, code)).join(", ")]);
  }
  if (event.review_rating !== null && event.review_rating !== undefined) {
    // Without the form at hand only the default's scale is known: 1 to 5.
    const original = !event.review_form_key || event.review_form_key === "default";
    const scale = def ? def.rating : original ? { max: 5, labels: [] } : null;
    const named = scale ? scale.labels.find((l) => l.value === event.review_rating) : null;
    rows.push(["Rating", `${event.review_rating}${scale ? ` of ${scale.max}` : ""}${named ? ` · ${named.label}` : ""}`]);
  }
  const fields = answers.fields || {};
  for (const key of ordered(fields, def && def.fields)) {
    const value = fields[key];
    const spec = def ? def.fields.find((f) => f.key === key) : null;
    rows.push([spec ? spec.label : humanize(key), fieldText(spec, value), `fields.${key}`]);
  }
  rows.push(["Comment", event.review_comment, "comment"]);
  return rows;
}

/** A revision (GET /events/{id}/revisions) in the shape answerRows reads. */
export function revisionAsReview(revision) {
  return {
    review_form_key: revision.form_key,
    review_form_version: revision.form_version,
    review_decision: revision.decision,
    review_rating: revision.rating,
    review_comment: revision.comment,
    review_answers: revision.answers,
  };
}

/** What an event's review holds, in the terms a form's controls are filled with (answers.js writeAnswers). */
export function reviewAnswers(event) {
  const answers = event.review_answers || {};
  return {
    decision: event.review_decision,
    rating: event.review_rating,
    comment: event.review_comment || "",
    reasons: answers.reasons || {},
    fields: answers.fields || {},
  };
}
