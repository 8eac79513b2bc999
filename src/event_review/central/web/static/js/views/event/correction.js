// Correcting a submitted review from the event's page: the review's own form
// version filled with its current answers, a note saying why, and POST
// /events/{id}/corrections with the revision it corrects. Its reviewer may
// correct it for a while after making it, a lead or admin of the region at
// any time with a note; the server decides and says so. Keyboard as on the
// review screen: the form's keys answer, Enter on a choice or Ctrl+Enter in
// a text box submits, Esc leaves a field. When the region keeps the review's
// typed text, the form waits for it (read from the region, review-text.js) so
// that a correction does not blank a comment nobody meant to change.

import { api } from "../../api.js";
import { h, notice, replace } from "../../dom.js";
import { reviewForm } from "../../forms/review-form.js";
import { reviewAnswers } from "../../forms/summary.js";
import { anyDialogOpen, hasModifier, isTyping } from "../../keys.js";
import { describe, sentence } from "../../messages.js";
import { fillBlanks } from "../../review-text.js";

const MAX_NOTE = 1000; // CorrectionRequest.note (reviews/schemas.py)

/**
 * The correction card for `event`, reviewed with `form` (its FormOut).
 * `own`: the user corrects their own review (the note is optional then).
 * `text`: the event's regionText when some revision's typed text was cleared
 * here (the form is filled from it once read), else null.
 * `corrected(event)` runs after the server took the correction,
 * `changed(error)` when the review moved on meanwhile (a 409).
 */
export function createCorrection({ event, form, own, text = null, corrected, changed }) {
  const answers = reviewForm(form, { prefix: "correct-" });
  answers.write(reviewAnswers(event));
  const note = h("textarea", {
    id: "correction-note", name: "note", rows: 3, maxlength: MAX_NOTE,
    "aria-describedby": "correction-note-hint correction-note-error",
    "aria-required": own ? null : "true",
  });
  const noteError = h("p", { class: "field-error", id: "correction-note-error" });
  const status = h("div", { class: "form-status", id: "correction-status", "aria-live": "polite" });
  const submit = h("button", { class: "button primary", type: "submit", id: "submit-correction" },
    "Submit correction", h("kbd", { "aria-hidden": "true" }, "Enter"));
  const cancel = h("button", { class: "button", type: "button", id: "cancel-correction" }, "Cancel");
  const fieldset = h("fieldset", { class: "review-fields" },
    answers.sections,
    h("div", { class: "field wide-field" },
      h("label", { for: "correction-note" }, "Why you correct it ",
        h("span", { class: "hint", id: "correction-note-hint" }, own ? "optional" : "required: it is someone else's review")),
      note,
      noteError),
    status,
    h("div", { class: "form-actions row-actions" }, submit, cancel));
  const textStatus = h("div", { class: "correction-text", id: "correction-text" });
  const formNode = h("form", { class: "review-form", id: "correction-form", "aria-labelledby": "correction-title", novalidate: true }, textStatus, fieldset);
  const card = h("section", { class: "card", id: "correction", "aria-labelledby": "correction-title", hidden: true },
    h("div", { class: "card-head" },
      h("h2", { id: "correction-title" }, "Correct the review"),
      h("span", { class: "muted" }, `Revision ${event.review_revision} → ${event.review_revision + 1}`)),
    formNode);

  function clearNoteError() {
    noteError.textContent = "";
    note.removeAttribute("aria-invalid");
  }
  note.addEventListener("input", clearNoteError);

  /** A 422: each place the details name says what is wrong there, the note included. */
  function refused(error) {
    const details = Array.isArray(error.details) ? error.details : [];
    const forNote = details.filter((d) => Array.isArray(d.loc) && d.loc[1] === "note");
    const { places } = answers.showErrors(details.filter((d) => !forNote.includes(d)), { focus: !forNote.length });
    if (forNote.length) {
      noteError.textContent = forNote.map((d) => `${d.msg.charAt(0).toUpperCase()}${d.msg.slice(1)}.`).join(" ");
      note.setAttribute("aria-invalid", "true");
      note.focus();
    }
    const named = [...places.map(answers.labelOf), ...(forNote.length ? ["Why you correct it"] : [])];
    if (!named.length) return false;
    replace(status, notice("error", "Some answers need a change.", `Check: ${named.join(", ")}.`));
    return true;
  }

  let busy = false;
  let waiting = false; // for the typed text, from the region
  let filled = false;

  /** The typed text of the revision corrected, once read: into the form, and said where it came from. */
  function showText() {
    const typed = text ? text.view(event.review_revision) : null;
    waiting = Boolean(typed) && typed.kind === "loading";
    fieldset.disabled = busy || waiting;
    if (!typed) {
      replace(textStatus);
      return;
    }
    const region = text.region;
    if (typed.kind === "loading") {
      replace(textStatus, h("p", { class: "muted", role: "status" }, `Reading the comment and typed answers from region ${region} to fill in the form…`));
    } else if (typed.kind === "region") {
      if (!filled) answers.write(fillBlanks(answers.read(), typed));
      filled = true;
      replace(textStatus, h("p", { class: "held-mark" }, `The comment and typed answers are filled in from region ${region}, where they are kept.`));
    } else if (typed.kind === "unavailable") {
      replace(textStatus, notice("warn", `Region ${region} no longer has this review's typed text.`,
        "The comment and typed answers are blank here, and stay so after a correction unless you type them again."));
    } else {
      const retry = h("button", { class: "button small", type: "button", id: "correction-text-retry" }, "Load the typed text again");
      retry.addEventListener("click", () => text.retry());
      replace(textStatus, notice("warn", `The typed text could not be loaded from region ${region}.`,
        `${typed.error ? `${sentence(typed.error.message)} ` : ""}The comment and typed answers are blank here: a correction sent now replaces them with what you type.`,
        [retry]));
    }
  }
  let focusWanted = false;
  function focusChosen() {
    const chosen = formNode.querySelector("input:checked") || formNode.querySelector("input, select, textarea");
    if (chosen) chosen.focus({ preventScroll: true });
  }
  const unsubscribe = text ? text.subscribe(() => {
    showText();
    if (focusWanted && !waiting && !card.hidden) focusChosen();
    focusWanted = focusWanted && waiting;
  }) : null;
  showText();

  async function send() {
    if (busy || waiting) return;
    const missing = answers.missing();
    if (missing.length) {
      replace(status, notice("warn", null, answers.missingText(missing)));
      return;
    }
    answers.clearErrors();
    clearNoteError();
    replace(status);
    busy = true;
    fieldset.disabled = true;
    try {
      const done = await api(`/api/v1/events/${event.event_id}/corrections`, {
        method: "POST",
        body: { ...answers.body(), form: answers.ref, revision: event.review_revision, note: note.value.trim() || null },
      });
      corrected(done);
    } catch (error) {
      // Enabled again first: focus can go only to a control that is not disabled.
      busy = false;
      fieldset.disabled = false;
      if (error.code === "revision_changed") {
        changed(error);
        return;
      }
      if (error.code === "validation_error" && refused(error)) return;
      const message = describe(error, { region: event.region_code });
      replace(status, notice("error", message.title, message.text));
    } finally {
      busy = false;
      fieldset.disabled = false;
    }
  }

  formNode.addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    send();
  });

  function onKeyDown(pressed) {
    if (card.hidden || fieldset.disabled || anyDialogOpen() || pressed.defaultPrevented) return;
    const target = pressed.target;
    const inside = target instanceof Element && formNode.contains(target);
    if (pressed.key === "Enter" && inside && target instanceof HTMLTextAreaElement) {
      if (pressed.ctrlKey || pressed.metaKey) {
        pressed.preventDefault();
        send();
      }
      return;
    }
    if (pressed.key === "Escape" && inside && isTyping(target)) {
      target.blur();
      return;
    }
    if (hasModifier(pressed) || isTyping(target, pressed.key)) return;
    if (pressed.key === "Enter") {
      // A choice does not submit by itself; a button or link does its own thing.
      if (inside && target instanceof HTMLInputElement) {
        pressed.preventDefault();
        send();
      }
      return;
    }
    if (pressed.key === "c" && answers.comment) {
      pressed.preventDefault();
      answers.comment.focus();
      return;
    }
    if (answers.press(pressed.key)) pressed.preventDefault();
  }
  document.addEventListener("keydown", onKeyDown);

  return {
    card,
    open() {
      card.hidden = false;
      card.scrollIntoView({ block: "start" });
      // Still waiting for the typed text: the form takes focus once it is filled.
      focusWanted = waiting;
      if (!waiting) focusChosen();
    },
    close() {
      card.hidden = true;
    },
    cancel,
    destroy() {
      document.removeEventListener("keydown", onKeyDown);
      if (unsubscribe) unsubscribe();
    },
  };
}
