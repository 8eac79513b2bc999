// What reviewers typed (comments, notes, text answers) on an event whose region
// keeps it: under the region's `regional` review-text policy the centre clears
// a revision's text once the region holds it (its `text_cleared_at`), and GET
// /events/{id}/review-text reads it back from the region. It is asked only
// when some revision was cleared, once per view, and held in that view's
// memory alone: never in the browser's storage, a draft or a URL, so
// closing the view forgets it, as the region's policy intends.

import { api } from "./api.js";
import { h, notice, replace } from "./dom.js";
import { sentence } from "./messages.js";

/** Whether the centre cleared the typed text of any of `revisions` (GET /events/{id}/revisions). */
export function textCleared(revisions) {
  return revisions.some((r) => r && r.text_cleared_at);
}

/**
 * The typed text of one event's cleared revisions, for one view. need(revisions)
 * fetches it unless every cleared revision is already at hand; view(n) is what
 * to show for revision n; subscribers hear of every change (loaded, failed).
 */
export function regionText(event) {
  const region = event.region_code.toUpperCase();
  const listeners = new Set();
  let cleared = new Set();
  let byRevision = new Map();
  let state = "idle"; // idle | loading | ready | failed
  let error = null;
  let request = null;

  const covered = () => [...cleared].every((n) => byRevision.has(n) && byRevision.get(n).source !== "central");
  const changed = () => listeners.forEach((listener) => listener());

  async function fetchText() {
    if (request) request.abort();
    const mine = new AbortController();
    request = mine;
    state = "loading";
    error = null;
    changed();
    try {
      const text = await api(`/api/v1/events/${event.event_id}/review-text`, { signal: mine.signal });
      if (mine.signal.aborted) return;
      byRevision = new Map(text.revisions.map((r) => [r.revision, r]));
      state = "ready";
    } catch (failed) {
      if (failed.name === "AbortError" || mine.signal.aborted) return;
      if (failed.status === 401) return; // the session ended: the login screen says why
      error = failed;
      state = "failed";
    } finally {
      if (request === mine) request = null;
    }
    changed();
  }

  return {
    region,
    /** Which revisions were cleared (the history as it is now); fetches what is not at hand. */
    need(revisions) {
      cleared = new Set(revisions.filter((r) => r.text_cleared_at).map((r) => r.revision));
      if (cleared.size && state !== "loading" && !covered()) fetchText();
    },
    retry() {
      if (state !== "loading") fetchText();
    },
    /**
     * What to show for revision `n`: null when the centre holds its text (show the
     * revision as it is), else {kind, comment, note, fields, error} where kind is
     * loading | failed | region (read from the region) | unavailable (the region lacks it).
     */
    view(n) {
      if (!cleared.has(n)) return null;
      const found = byRevision.get(n);
      if (state === "loading" || (state === "idle" && !found)) return { kind: "loading", comment: null, note: null, fields: {} };
      if (!found || found.source === "central") return { kind: "failed", comment: null, note: null, fields: {}, error };
      return {
        kind: found.source === "region" ? "region" : "unavailable",
        comment: found.comment,
        note: found.note,
        fields: found.fields || {},
      };
    },
    get state() {
      return state;
    },
    get error() {
      return error;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    destroy() {
      if (request) request.abort();
      request = null;
      byRevision = new Map();
      listeners.clear();
    },
  };
}

/** `review` (in answerRows' shape) with the typed text read from the region put back. */
export function withText(review, typed) {
  if (!typed || typed.kind !== "region") return review;
  const answers = review.review_answers || {};
  return {
    ...review,
    review_comment: typed.comment,
    review_answers: { ...answers, fields: { ...(answers.fields || {}), ...typed.fields } },
  };
}

/** A form's answers (reviewAnswers' shape) with the typed text put back. */
export function withTypedAnswers(answers, typed) {
  if (!typed || typed.kind !== "region") return answers;
  return { ...answers, comment: typed.comment || "", fields: { ...answers.fields, ...typed.fields } };
}

/**
 * `typed` filled into what is on a form now (read()'s shape) where the form is
 * still blank: what someone typed meanwhile stays theirs.
 */
export function fillBlanks(current, typed) {
  if (!typed || typed.kind !== "region") return current;
  return {
    ...current,
    comment: (current.comment || "").trim() ? current.comment : typed.comment || "",
    fields: { ...typed.fields, ...current.fields },
  };
}

/** A value read from the region, marked as such. */
export function heldValue(value, region) {
  return h("span", { class: "held-text" },
    h("span", { class: "held-value" }, value),
    h("span", { class: "held-mark" }, `Kept in region ${region}, shown from there`));
}

/** Instead of typed text that is not at hand: why, in a few words. */
function missingText(typed, region) {
  if (typed.kind === "loading") return h("span", { class: "held-mark" }, `Reading from region ${region}…`);
  if (typed.kind === "unavailable") return h("span", { class: "held-mark" }, `Kept in region ${region}, which no longer has it`);
  return h("span", { class: "held-mark" }, `Kept in region ${region}; it could not be read just now`);
}

/**
 * answerRows' rows for a cleared revision: what was typed marked as read from
 * the region, or the comment saying why it is not shown.
 */
export function markRows(rows, typed, region) {
  if (!typed) return rows;
  return rows.map(([label, value, place]) => {
    const typedPlace = place === "comment" || (place && place.startsWith("fields.") && place.slice(7) in typed.fields);
    if (typed.kind === "region") {
      return typedPlace && value !== null && value !== undefined && value !== "" ? [label, heldValue(value, region), place] : [label, value, place];
    }
    return place === "comment" ? [label, missingText(typed, region), place] : [label, value, place];
  });
}

/** A revision's note (the history's Note column), as `typed` says it is to be shown. */
export function noteCell(note, typed, region) {
  if (!typed) return note || "—";
  if (typed.kind !== "region") return missingText(typed, region);
  return typed.note ? heldValue(typed.note, region) : "—";
}

/**
 * Put textNotice in `slot` (or empty it, for null); a retry that had focus hands
 * it to the new notice, so the keyboard is not thrown back to the page's top.
 */
export function showNotice(slot, text, ids) {
  const hadFocus = slot.contains(document.activeElement);
  replace(slot, text ? textNotice(text, ids) : null);
  if (hadFocus && slot.firstChild) slot.firstChild.focus({ preventScroll: true });
}

/**
 * One line above what is shown: where the typed text came from, or, when the
 * region could not be read, the server's reason and a way to try again.
 */
export function textNotice(text, { id, retryId }) {
  const region = text.region;
  if (text.state === "failed") {
    const retry = h("button", { class: "button small", type: "button", id: retryId }, "Try again");
    retry.addEventListener("click", () => text.retry());
    const error = text.error;
    const timeout = error && (error.status === 504 || error.code === "region_timeout");
    return h("div", { id, class: "held-notice", tabindex: "-1" },
      notice("error",
        timeout ? `Region ${region} did not answer in time.` : `The typed text could not be read from region ${region}.`,
        `Comments, notes and typed answers are kept there. ${error ? sentence(error.message) : ""}`.trim(),
        [retry]));
  }
  if (text.state === "loading" || text.state === "idle") {
    return h("div", { id, class: "held-notice", tabindex: "-1" }, h("p", { class: "muted", role: "status" }, `Reading the typed text from region ${region}…`));
  }
  return h("div", { id, class: "held-notice", tabindex: "-1" },
    h("div", { class: "notice info residency" },
      h("p", { class: "notice-body" },
        h("strong", null, `Typed text from region ${region}. `),
        "Comments, notes and typed answers are kept in the region; they are read from there for this view only and not stored centrally.")));
}
