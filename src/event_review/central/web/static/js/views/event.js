// One event by link (#/events/ID), to share or bookmark. An event the reviewer
// holds opens on the review screen, ready to review; any other event they may
// see is shown read-only, with its status, its review in the terms of the
// form version it was made with, and the review's history. Its reviewer, or a
// lead or admin of its region, can correct the review here (event/correction.js).
// Where the region keeps what reviewers typed (its `regional` review-text
// policy), that text is read from the region for this page (review-text.js).
// Anything else is one answer, 404: the server does not say whether an event
// exists.

import { api, ApiError, serverNow } from "../api.js";
import { formatDateTime, h, humanize, notice, priorityLevel, replace, timeAgo, toast } from "../dom.js";
import { eventForm } from "../forms/cache.js";
import { answerRows } from "../forms/summary.js";
import { describe } from "../messages.js";
import { markRows, regionText, showNotice, textCleared, withText } from "../review-text.js";
import { session } from "../session.js";
import { messageRow, table } from "./common.js";
import { createCorrection } from "./event/correction.js";
import { showHistory } from "./event/history.js";
import * as review from "./review.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUS = {
  pending: "Waiting for a reviewer",
  assigned: "Held by a reviewer",
  submitted: "Reviewed; on its way to its region",
  completed: "Reviewed and recorded in its region",
};

function heldByMe(event) {
  return event.status === "assigned" && event.assigned_user_id === session.me.user_id
    && event.lease_expires_at && new Date(event.lease_expires_at).getTime() > serverNow();
}

function row(label, value) {
  return h("tr", null, h("th", { scope: "row" }, label), h("td", null, value === null || value === undefined || value === "" ? "—" : value));
}

/**
 * The form version the review was made with (for a reviewed event the
 * server answers with the version it recorded); null when there is no
 * review, or it cannot be had.
 */
async function reviewForm(event) {
  if (event.review_decision === null) return null;
  try {
    return await eventForm(event.event_id);
  } catch (error) {
    if (error.status === 401) throw error;
    return null; // the answers still show, by their keys
  }
}

/** Whether the user may try to correct the review: "own" (its reviewer), "oversee" (a lead or admin of the region), or null. */
function correctionRight(event, latest) {
  const me = session.me;
  if (!latest) return null;
  if (event.review_user_id === me.user_id && latest.reviewer === me.username) return "own";
  if (session.hasRole("lead", "admin") && (me.regions || []).includes(event.region_code)) return "oversee";
  return null;
}

/** The escalation, if any: its note is cleared with the review's typed text and the region does not keep it. */
function escalationRow(event, cleared) {
  if (event.escalation_note) return row("Escalated", `${event.escalated_by || "A reviewer"}: ${event.escalation_note}`);
  if (cleared && event.escalated_by) {
    return row("Escalated", `By ${event.escalated_by}. Its note is not kept once the review is in region ${event.region_code.toUpperCase()}.`);
  }
  return null;
}

function statusCard(event, cleared) {
  return h("section", { class: "card", "aria-labelledby": "event-status-title" },
    h("div", { class: "card-head" },
      h("h2", { id: "event-status-title" }, "Status"),
      h("span", { class: ["badge", event.status === "completed" ? "ok" : null], id: "event-status" }, STATUS[event.status] || humanize(event.status))),
    h("div", { class: "table-wrap" }, h("table", { class: "fields wide", id: "event-fields" },
      h("tbody", null,
        row("Region", event.region_code.toUpperCase()),
        row("Priority", h("span", { class: ["badge", priorityLevel(event.priority)] }, String(event.priority))),
        row("Device", event.device_id),
        row("Occurred", [formatDateTime(event.occurred_at), " (", timeAgo(event.occurred_at, serverNow()), ")"]),
        row("External id", h("span", { class: "mono" }, event.external_event_id)),
        row("Event id", h("span", { class: "mono" }, event.event_id)),
        escalationRow(event, cleared),
      ))));
}

/** The review card, and fill(), which draws its answers again (the typed text was read, or failed). */
function reviewCard(event, form, correctButton, text) {
  const reviewed = event.review_decision !== null;
  const body = h("tbody");
  const slot = h("div", { class: "held-slot", id: "review-text-slot" });
  function fill() {
    const typed = text ? text.view(event.review_revision) : null;
    const rows = markRows(answerRows(withText(event, typed), form), typed, text && text.region);
    replace(body, rows.map(([label, value]) => row(label, value)), row("Reviewed", formatDateTime(event.reviewed_at)));
    // Said here when it is this review's text; else above the history it belongs to.
    showNotice(slot, typed ? text : null, { id: "review-text-status", retryId: "review-text-retry" });
  }
  if (reviewed) fill();
  const card = h("section", { class: "card", "aria-labelledby": "event-review-title" },
    h("div", { class: "card-head" },
      h("h2", { id: "event-review-title" }, "Review"),
      reviewed && event.review_revision ? h("div", { class: "row" }, h("span", { class: "muted" }, `Revision ${event.review_revision}`), correctButton) : null),
    reviewed
      ? [slot, h("div", { class: "table-wrap" }, h("table", { class: "fields wide", id: "event-review" }, body))]
      : h("p", { class: "card-body muted" }, "Not reviewed yet."));
  return { card, fill: reviewed ? fill : () => {} };
}

function historyCard(body, slot) {
  return h("section", { class: "card", id: "event-history-card", "aria-labelledby": "event-history-title" },
    h("div", { class: "card-head" }, h("h2", { id: "event-history-title" }, "History")),
    slot,
    table("event-history", ["Revision", "Kind", "By", "Form", "Answers", "Note"], body, { cls: "history" }));
}

export function mount(container, { param }) {
  let inner = null;
  let stopped = false;
  let correction = null;
  // The typed text its region keeps, read once for this page and held here only.
  let text = null;
  let unsubscribe = null;
  // Said above the page and kept across a reload of it (a 409 explains itself there).
  const pageStatus = h("div", { id: "event-page-status" });
  const status = h("div", { class: "page" }, h("h1", null, "Event"), h("p", { class: "muted" }, "Loading the event…"));
  container.append(status);

  function problem(title, text) {
    replace(status, h("h1", null, "Event"), notice("error", title, text, [h("a", { class: "button small", href: "#/review" }, "Back to your queue")]));
  }

  function failed(error) {
    if (!(error instanceof ApiError)) throw error;
    if (stopped || error.status === 401) return;
    if (error.code === "event_not_found") {
      problem("You cannot open this event.", "It does not exist, or it belongs to a region your team does not review. Check the link, or ask whoever sent it.");
    } else {
      const message = describe(error);
      problem(message.title, message.text);
    }
  }

  function show(event, form, revisions) {
    if (correction) correction.destroy();
    correction = null;
    if (unsubscribe) unsubscribe();
    unsubscribe = null;
    const shownText = text && textCleared(revisions) ? text : null;
    const latest = revisions.length ? revisions[revisions.length - 1] : null;
    const right = event.review_decision !== null && form ? correctionRight(event, latest) : null;
    let correctButton = null;
    if (right) {
      correction = createCorrection({
        event, form, own: right === "own", text: shownText,
        corrected: (done) => {
          replace(pageStatus);
          toast(`Corrected: the review is at revision ${done.review_revision} now, on its way to ${done.region_code.toUpperCase()}.`, "ok");
          load();
        },
        changed: (error) => {
          const message = describe(error);
          replace(pageStatus, notice("warn", message.title, message.text));
          load();
        },
      });
      correctButton = h("button", { class: "button small", type: "button", id: "correct-review", "aria-controls": "correction" },
        right === "own" ? "Correct your review" : "Correct this review");
      correctButton.addEventListener("click", () => correction.open());
      correction.cancel.addEventListener("click", () => {
        correction.close();
        correctButton.focus();
      });
    }
    const history = h("tbody", null, messageRow(6, "Loading…"));
    const review = reviewCard(event, form, correctButton, shownText);
    const historySlot = h("div", { class: "held-slot", id: "history-text-slot" });
    replace(container, h("div", { class: "page" },
      h("div", { class: "page-head" },
        h("div", null,
          h("h1", { id: "event-page-title" }, humanize(event.event_type)),
          h("p", { class: "muted" }, "Read-only: you do not hold this event."))),
      pageStatus,
      h("div", { class: "stack" },
        statusCard(event, Boolean(shownText)),
        review.card,
        correction ? correction.card : null,
        revisions.length ? historyCard(history, historySlot) : null)));
    const drawHistory = () => {
      if (!revisions.length) return;
      if (shownText) {
        const own = shownText.view(event.review_revision) !== null;
        showNotice(historySlot, own ? null : shownText, { id: "history-text-status", retryId: "history-text-retry" });
      }
      showHistory(history, revisions, shownText).catch((error) => {
        if (error.status !== 401) replace(history, messageRow(6, "The history could not be loaded."));
      });
    };
    drawHistory();
    if (shownText) {
      unsubscribe = shownText.subscribe(() => {
        if (stopped) return;
        review.fill();
        drawHistory();
      });
    }
  }

  async function load() {
    const event = await api(`/api/v1/events/${param}`);
    if (stopped) return;
    if (heldByMe(event)) {
      replace(container);
      inner = review.mount(container, { open: event.event_id });
      return;
    }
    const reviewed = event.review_decision !== null;
    const [form, revisions] = await Promise.all([
      reviewForm(event),
      reviewed ? api(`/api/v1/events/${param}/revisions`) : [],
    ]);
    if (stopped) return;
    // Asked only when the centre no longer holds some revision's typed text.
    if (textCleared(revisions)) {
      if (!text) text = regionText(event);
      text.need(revisions);
    }
    show(event, form, revisions);
  }

  if (!param || !UUID.test(param)) {
    problem("This is not a link to an event.", "An event link ends in the event's id, like #/events/3f2b1c9e-….");
    return () => {};
  }
  load().catch(failed);
  return () => {
    stopped = true;
    if (correction) correction.destroy();
    if (unsubscribe) unsubscribe();
    if (text) text.destroy();
    if (inner) inner();
  };
}
