// The QA screen's skeleton, built once per mount: the tasks held, the event
// with the review under QA and its payload, and the verdict panel (the same
// form the review was made with, filled with its answers). It borrows the
// review screen's layout and looks.

import { h } from "../../dom.js";

const MAX_TASKS = 50; // QaBatchRequest.size (qa/schemas.py)
const SIZE_KEY = "event-review.qa-size";

/** The number of tasks asked for, 1–50, or null when the field holds something else. */
export function taskCount(ui) {
  const text = ui.sizeInput.value.trim();
  const size = Number(text);
  return /^\d+$/.test(text) && size >= 1 && size <= MAX_TASKS ? size : null;
}

function tasksPanel(ui) {
  ui.sizeInput = h("input", {
    type: "number", id: "qa-size", name: "size", min: 1, max: MAX_TASKS, step: 1,
    inputmode: "numeric", required: true, "aria-describedby": "qa-size-error",
  });
  const saved = Number(localStorage.getItem(SIZE_KEY));
  ui.sizeInput.value = Number.isInteger(saved) && saved >= 1 && saved <= MAX_TASKS ? String(saved) : "5";
  ui.sizeError = h("p", { class: "field-error", id: "qa-size-error" });
  ui.sizeInput.addEventListener("change", () => {
    const size = taskCount(ui);
    ui.sizeInput.toggleAttribute("aria-invalid", size === null);
    ui.sizeError.textContent = size === null ? `Tasks: a whole number from 1 to ${MAX_TASKS}.` : "";
    if (size !== null) localStorage.setItem(SIZE_KEY, String(size));
  });
  ui.sizeInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape") ui.sizeInput.blur();
  });
  ui.claimButton = h("button", { class: "button primary", type: "submit", id: "qa-next" }, "Get QA tasks");
  ui.claimForm = h("form", { class: "batch-form", "aria-label": "Claim QA tasks", novalidate: true },
    h("div", { class: "batch-row" },
      h("div", { class: "field" }, h("label", { for: "qa-size" }, "Tasks"), ui.sizeInput),
      ui.claimButton),
    ui.sizeError);
  ui.lease = h("span", { class: "lease", id: "qa-lease", hidden: true });
  ui.leaseNote = h("div", { class: "lease-note", id: "qa-lease-note" });
  ui.list = h("ol", { class: "queue-list", id: "qa-list", "aria-label": "Reviews you judge" });
  ui.message = h("div", { class: "queue-empty", id: "qa-message" });
  ui.foot = h("div", { class: "queue-foot", id: "qa-foot" });
  return h("section", { class: "queue-panel", "aria-labelledby": "qa-tasks-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "qa-tasks-title" }, "QA tasks"), ui.lease),
    ui.claimForm,
    ui.leaseNote,
    h("div", { class: "scroll" }, ui.list, ui.message),
    ui.foot);
}

function verdictPanel(ui) {
  ui.verdictButton = h("button", { class: "button primary wide", type: "submit", id: "qa-verdict" }, "Agree");
  ui.undoButton = h("button", { class: "button wide", type: "button", id: "qa-undo", hidden: true }, "Undo my changes");
  ui.releaseButton = h("button", { class: "button wide", type: "button", id: "qa-release" }, "Give back", h("kbd", { "aria-hidden": "true" }, "s"));
  ui.changes = h("p", { class: "review-hint", id: "qa-changes", "aria-live": "polite" });
  ui.note = h("textarea", { id: "qa-note", name: "note", rows: 2, maxlength: 1000, "aria-describedby": "qa-note-hint" });
  ui.noteField = h("div", { class: "field wide-field", id: "qa-note-field" },
    h("label", { for: "qa-note" }, "Why you correct it ", h("span", { class: "hint", id: "qa-note-hint" }, "optional · sent with a correction only")),
    ui.note);
  ui.status = h("div", { class: "form-status", id: "qa-status", "aria-live": "polite" });
  ui.placeholder = h("p", { class: "form-placeholder", id: "qa-placeholder" }, "Open a task to judge its review.");
  ui.fieldset = h("fieldset", { class: "review-fields" },
    ui.placeholder,
    ui.noteField,
    ui.status,
    h("div", { class: "form-actions" }, ui.verdictButton, ui.changes, h("div", { class: "form-actions-row" }, ui.undoButton, ui.releaseButton)));
  ui.form = h("form", { class: "review-form", id: "qa-form", "aria-labelledby": "qa-verdict-title", novalidate: true }, ui.fieldset);
  ui.formHead = h("div", { class: "form-head", id: "qa-form-head" });
  ui.verdictPanel = h("aside", { class: "review-panel", "aria-labelledby": "qa-verdict-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "qa-verdict-title" }, "Your verdict")),
    h("div", { class: "scroll" }, ui.formHead, ui.form,
      h("p", { class: "review-hint panel-body" }, "Enter agrees; change an answer to correct the review instead. ",
        h("kbd", null, "?"), " lists every key.")));
  return ui.verdictPanel;
}

/** Build the screen into `container`; the handles to its parts. */
export function buildScreen(container) {
  const ui = {};
  const tasks = tasksPanel(ui);
  ui.eventPanel = h("section", { class: "event-panel", "aria-labelledby": "event-title", id: "event-panel" });
  const verdict = verdictPanel(ui);
  container.append(
    h("h1", { class: "visually-hidden" }, "QA: judge reviews"),
    ui.layout = h("div", { class: "review-layout qa-layout" }, tasks, ui.eventPanel, verdict));
  return ui;
}
