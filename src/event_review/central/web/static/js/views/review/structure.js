// The review screen's skeleton, built once per mount: the three panels and
// handles to the parts that rendering and actions change later. The review
// form's radios hold the decision and rating; shortcuts only check them.

import { h, notice, replace } from "../../dom.js";

const BATCH_SIZES = [5, 10, 20, 50];
const BATCH_SIZE_KEY = "event-review.batch-size";
const MAX_COMMENT = 4000;

function queuePanel(ui) {
  ui.sizeSelect = h("select", { id: "batch-size", name: "size" },
    BATCH_SIZES.map((n) => h("option", { value: n }, String(n))));
  ui.sizeSelect.value = localStorage.getItem(BATCH_SIZE_KEY) || "10";
  if (!ui.sizeSelect.value) ui.sizeSelect.value = "10";
  ui.sizeSelect.addEventListener("change", () => localStorage.setItem(BATCH_SIZE_KEY, ui.sizeSelect.value));
  ui.batchButton = h("button", { class: "button primary", type: "submit", id: "next-batch" }, "Get next batch");
  ui.batchForm = h("form", { class: "batch-form", "aria-label": "Claim events" },
    h("div", { class: "field" }, h("label", { for: "batch-size" }, "Batch size"), ui.sizeSelect),
    ui.batchButton,
  );

  ui.lease = h("span", { class: "lease", id: "lease", hidden: true });
  ui.leaseNote = h("div", { class: "lease-note", id: "lease-note" });
  ui.list = h("ol", { class: "queue-list", id: "queue-list", "aria-label": "Events you hold" });
  ui.queueMessage = h("div", { class: "queue-empty", id: "queue-message" });
  ui.queueFoot = h("div", { class: "queue-foot", id: "queue-foot" });
  return h("section", { class: "queue-panel", "aria-labelledby": "queue-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "queue-title" }, "Your queue"), ui.lease),
    ui.batchForm,
    ui.leaseNote,
    h("div", { class: "scroll" }, ui.list, ui.queueMessage),
    ui.queueFoot,
  );
}

function choice(group, value, text, key, cls) {
  const id = `${group}-${value}`;
  return h("div", { class: ["choice", cls] },
    h("input", { type: "radio", name: group, id, value }),
    h("label", { for: id }, text, key ? h("kbd", { "aria-hidden": "true" }, key) : null),
  );
}

function reviewPanel(ui) {
  ui.comment = h("textarea", { id: "comment", name: "comment", maxlength: MAX_COMMENT, rows: 4, "aria-describedby": "comment-hint comment-count" });
  ui.counter = h("div", { class: "counter", id: "comment-count", "aria-live": "off" }, `0 / ${MAX_COMMENT}`);
  ui.comment.addEventListener("input", () => {
    ui.counter.textContent = `${ui.comment.value.length} / ${MAX_COMMENT}`;
  });
  ui.submitButton = h("button", { class: "button primary wide", type: "submit", id: "submit-review" }, "Submit review", h("kbd", { "aria-hidden": "true" }, "Enter"));
  ui.skipButton = h("button", { class: "button wide", type: "button", id: "skip" }, "Skip", h("kbd", { "aria-hidden": "true" }, "s"));
  ui.formStatus = h("div", { class: "form-status", id: "form-status", "aria-live": "polite" });
  ui.fieldset = h("fieldset", { class: "review-fields" });
  ui.form = h("form", { class: "review-form", id: "review-form", "aria-labelledby": "review-title", novalidate: true },
    h("fieldset", { class: "decision-field" },
      h("legend", null, "Decision"),
      h("div", { class: "choice-group decision" },
        choice("decision", "approve", "Approve", "a", "approve"),
        choice("decision", "reject", "Reject", "r", "reject"),
      ),
    ),
    h("fieldset", { class: "rating-field" },
      h("legend", null, "Rating"),
      h("div", { class: "choice-group rating" },
        [1, 2, 3, 4, 5].map((n) => choice("rating", String(n), String(n), null, "stars"))),
      h("div", { class: "rating-scale", "aria-hidden": "true" }, h("span", null, "1 · low"), h("span", null, "5 · high")),
    ),
    h("div", { class: "field wide-field" },
      h("label", { for: "comment" }, "Comment ", h("span", { class: "hint", id: "comment-hint" }, "optional · Ctrl+Enter submits")),
      ui.comment,
      ui.counter,
    ),
    ui.formStatus,
    h("div", { class: "form-actions" }, ui.submitButton, ui.skipButton),
  );
  // Everything in the form is disabled at once when there is nothing to review.
  ui.fieldset.append(...ui.form.childNodes);
  ui.form.append(ui.fieldset);

  return h("aside", { class: "review-panel", "aria-labelledby": "review-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "review-title" }, "Your review")),
    h("div", { class: "scroll" }, ui.form,
      h("p", { class: "review-hint panel-body" }, "Press ", h("kbd", null, "?"), " for all keyboard shortcuts.")),
  );
}

/** Build the screen into `container`; returns the handles to its parts. */
export function buildScreen(container) {
  const ui = {};
  const queue = queuePanel(ui);
  ui.eventPanel = h("section", { class: "event-panel", "aria-labelledby": "event-title", id: "event-panel" });
  const review = reviewPanel(ui);
  container.append(h("div", { class: "review-layout" }, queue, ui.eventPanel, review));
  return ui;
}

export function readForm(ui) {
  return {
    decision: ui.form.elements.decision.value || null,
    rating: ui.form.elements.rating.value ? Number(ui.form.elements.rating.value) : null,
    comment: ui.comment.value,
  };
}

/** Show an event's draft, or a blank form for `null`. */
export function writeForm(ui, draft) {
  const { form, comment } = ui;
  form.elements.decision.value = draft ? draft.decision || "" : "";
  form.elements.rating.value = draft && draft.rating ? String(draft.rating) : "";
  if (!draft || !draft.decision) for (const r of form.querySelectorAll("input[name=decision]")) r.checked = false;
  if (!draft || !draft.rating) for (const r of form.querySelectorAll("input[name=rating]")) r.checked = false;
  comment.value = draft ? draft.comment || "" : "";
  ui.counter.textContent = `${comment.value.length} / ${MAX_COMMENT}`;
  replace(ui.formStatus);
}

export function setStatus(ui, kind, title, text) {
  replace(ui.formStatus, notice(kind, title, text));
}
