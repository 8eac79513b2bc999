// One review form on the page, as a reviewer answers it: the controls of
// render.js wired up, and what the review screen and the form editor's
// preview ask of it. Built once per form version shown; filled per event.

import { h } from "../dom.js";
import { answersBody, chosenDecision, missing, missingText, readAnswers, sync, writeAnswers } from "./answers.js";
import { clearError, clearErrors, labelOf, showErrors } from "./errors.js";
import { press } from "./hotkeys.js";
import { prose } from "./markup.js";
import { buildControls } from "./render.js";

/** `form`: a FormOut ({key, version, title, definition, html}). */
export function reviewForm(form, options = {}) {
  const parts = buildControls(form, options);
  for (const [name, found] of parts.places) {
    const clear = () => clearError(parts, name);
    found.box.addEventListener("input", clear);
    found.box.addEventListener("change", clear);
  }
  for (const input of parts.decisionInputs.values()) input.addEventListener("change", () => sync(parts));
  sync(parts);
  return {
    form,
    ref: { key: form.key, version: form.version },
    sections: parts.sections,
    extended: parts.extended,
    comment: parts.comment ? parts.comment.textarea : null,
    contains: (node) => parts.sections.some((section) => section.contains(node)),
    read: () => readAnswers(parts),
    write: (draft) => writeAnswers(parts, draft),
    body: () => answersBody(parts),
    missing: () => missing(parts),
    missingText: (details) => missingText(parts, details),
    showErrors: (details, opts) => showErrors(parts, details, opts),
    clearErrors: () => clearErrors(parts),
    labelOf: (name) => labelOf(parts, name),
    press: (key) => press(parts, key),
    decision: () => chosenDecision(parts),
  };
}

/**
 * The form's guidelines in a panel that folds away (`<details>`), or null
 * when it has none. `open` and `onToggle` let the screen remember the choice.
 */
export function guidelinesPanel(form, { id = "form-guidelines", open = true, onToggle = null } = {}) {
  const html = form.html && form.html.guidelines;
  if (!html) return null;
  const panel = h("details", { class: "guidelines", id, open: open ? true : null },
    h("summary", null, "Guidelines ", h("span", { class: "hint" }, form.definition.title)),
    prose(html, { class: "guidelines-body" }));
  if (onToggle) panel.addEventListener("toggle", () => onToggle(panel.open));
  return panel;
}
