// The review screen's skeleton, built once per mount: the three panels and
// handles to the parts that rendering and actions change later. The review
// form itself is the open event's (form.js puts it in the fieldset).

import { h, notice, replace } from "../../dom.js";
import { session } from "../../session.js";

const MAX_BATCH = 100; // the server's limit (assignment/schemas.py)
const BATCH_SIZE_KEY = "event-review.batch-size";
const QUEUE_KEY = "event-review.queue";
// Leads and admins also claim what reviewers escalated (BatchRequest.queue).
const QUEUES = [["review", "Events to review"], ["escalated", "Escalated to leads"]];

/** Which queue the next batch comes from: "review", or "escalated" for a lead who chose it. */
export function chosenQueue(ui) {
  return ui.queueSelect ? ui.queueSelect.value : "review";
}

function queueChoice(ui) {
  if (!session.hasRole("lead", "admin")) return null;
  ui.queueSelect = h("select", { id: "claim-queue", name: "queue" },
    QUEUES.map(([value, text]) => h("option", { value }, text)));
  ui.queueSelect.value = localStorage.getItem(QUEUE_KEY) === "escalated" ? "escalated" : "review";
  ui.queueSelect.addEventListener("change", () => localStorage.setItem(QUEUE_KEY, ui.queueSelect.value));
  // Esc hands the keys back to the shortcuts, as in the other fields.
  ui.queueSelect.addEventListener("keydown", (event) => {
    if (event.key === "Escape") ui.queueSelect.blur();
  });
  return h("div", { class: "field queue-choice" }, h("label", { for: "claim-queue" }, "Claim from"), ui.queueSelect);
}

/** The batch size typed, as a whole number 1–100, or null when it is not one. */
export function batchSize(ui) {
  const text = ui.sizeInput.value.trim();
  const size = Number(text);
  return /^\d+$/.test(text) && size >= 1 && size <= MAX_BATCH ? size : null;
}

function queuePanel(ui) {
  ui.sizeInput = h("input", {
    type: "number", id: "batch-size", name: "size", min: 1, max: MAX_BATCH, step: 1,
    inputmode: "numeric", required: true, "aria-describedby": "batch-size-error",
  });
  const saved = Number(localStorage.getItem(BATCH_SIZE_KEY));
  ui.sizeInput.value = Number.isInteger(saved) && saved >= 1 && saved <= MAX_BATCH ? String(saved) : "10";
  ui.sizeError = h("p", { class: "field-error", id: "batch-size-error" });
  ui.sizeInput.addEventListener("change", () => {
    const size = batchSize(ui);
    ui.sizeInput.toggleAttribute("aria-invalid", size === null);
    ui.sizeError.textContent = size === null ? `Batch size: a whole number from 1 to ${MAX_BATCH}.` : "";
    if (size !== null) localStorage.setItem(BATCH_SIZE_KEY, String(size));
  });
  // Esc hands the keys back to the shortcuts, as it does in the comment box.
  ui.sizeInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape") ui.sizeInput.blur();
  });
  ui.batchButton = h("button", { class: "button primary", type: "submit", id: "next-batch" }, "Get next batch");
  ui.batchForm = h("form", { class: "batch-form", "aria-label": "Claim events", novalidate: true },
    queueChoice(ui),
    h("div", { class: "batch-row" },
      h("div", { class: "field" }, h("label", { for: "batch-size" }, "Batch size"), ui.sizeInput),
      ui.batchButton),
    ui.sizeError,
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

function reviewPanel(ui) {
  ui.submitButton = h("button", { class: "button primary wide", type: "submit", id: "submit-review" }, "Submit review", h("kbd", { "aria-hidden": "true" }, "Enter"));
  ui.skipButton = h("button", { class: "button wide", type: "button", id: "skip", "aria-haspopup": "dialog" }, "Skip…", h("kbd", { "aria-hidden": "true" }, "s"));
  ui.escalateButton = h("button", { class: "button wide", type: "button", id: "escalate", "aria-haspopup": "dialog" }, "Escalate…", h("kbd", { "aria-hidden": "true" }, "e"));
  ui.formStatus = h("div", { class: "form-status", id: "form-status", "aria-live": "polite" });
  // The event's form goes in front of the status line (form.js); until then, this.
  ui.formPlaceholder = h("p", { class: "form-placeholder", id: "form-placeholder" }, "Open an event to see its review form.");
  // Everything in the form is disabled at once when there is nothing to review.
  ui.fieldset = h("fieldset", { class: "review-fields" },
    ui.formPlaceholder,
    ui.formStatus,
    h("div", { class: "form-actions" }, ui.submitButton, h("div", { class: "form-actions-row" }, ui.skipButton, ui.escalateButton)));
  ui.form = h("form", { class: "review-form", id: "review-form", "aria-labelledby": "review-title", novalidate: true }, ui.fieldset);
  ui.formHead = h("div", { class: "form-head", id: "form-head" });
  ui.reviewPanel = h("aside", { class: "review-panel", "aria-labelledby": "review-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "review-title" }, "Your review")),
    h("div", { class: "scroll" }, ui.formHead, ui.form,
      h("p", { class: "review-hint panel-body" }, "Press ", h("kbd", null, "?"), " for all keyboard shortcuts.")),
  );
  return ui.reviewPanel;
}

/** Build the screen into `container`; returns the handles to its parts. */
export function buildScreen(container) {
  const ui = {};
  const queue = queuePanel(ui);
  ui.eventPanel = h("section", { class: "event-panel", "aria-labelledby": "event-title", id: "event-panel" });
  const review = reviewPanel(ui);
  container.append(
    // One h1 per view for screen-reader navigation; the panels' own headings show.
    h("h1", { class: "visually-hidden" }, "Review events"),
    ui.layout = h("div", { class: "review-layout" }, queue, ui.eventPanel, review),
  );
  return ui;
}

export function setStatus(ui, kind, title, text) {
  replace(ui.formStatus, notice(kind, title, text));
}
