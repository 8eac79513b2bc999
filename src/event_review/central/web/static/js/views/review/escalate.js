// Escalating asks for a second opinion instead of a decision: e opens this
// dialog, the reviewer says what a lead should look at (the server needs a
// note), Ctrl+Enter (or the button) hands the event to the region's leads,
// Esc keeps it.

import { h } from "../../dom.js";

const MAX_NOTE = 1000; // EscalateRequest.note (assignment/schemas.py)

/** Resolves to {note} when the reviewer escalates, or null when they keep the event. */
export function askEscalation(event) {
  return new Promise((resolve) => {
    const note = h("textarea", {
      id: "escalate-note", name: "note", rows: 4, maxlength: MAX_NOTE, required: true,
      "aria-required": "true", "aria-describedby": "escalate-hint escalate-error",
    });
    const error = h("p", { class: "field-error", id: "escalate-error" });
    const send = h("button", { class: "button primary", value: "escalate", id: "escalate-confirm" },
      "Escalate", h("kbd", { "aria-hidden": "true" }, "Ctrl+Enter"));
    const form = h("form", { method: "dialog", novalidate: true },
      h("div", { class: "field" },
        h("label", { for: "escalate-note" }, "What should a lead look at? ",
          h("span", { class: "hint", id: "escalate-hint" }, "required · they see this note with the event")),
        note,
        error),
      h("div", { class: "dialog-actions" },
        h("button", { class: "button", value: "cancel", type: "submit", formnovalidate: true }, "Keep it", h("kbd", { "aria-hidden": "true" }, "Esc")),
        send),
    );
    const dialog = h("dialog", { class: "dialog", id: "escalate-dialog", "aria-labelledby": "escalate-title", "aria-describedby": "escalate-text" },
      h("h2", { id: "escalate-title" }, "Escalate to a lead"),
      h("p", { class: "muted", id: "escalate-text" },
        `You give the event up; a lead of ${event.region_code.toUpperCase()} decides it instead of you.`),
      form,
    );
    let sent = null;
    function trySend() {
      const text = note.value.trim();
      if (!text) {
        error.textContent = "Say what a lead should look at.";
        note.setAttribute("aria-invalid", "true");
        note.focus();
        return;
      }
      sent = { note: text };
      dialog.close("escalate");
    }
    form.addEventListener("submit", (submitted) => {
      if (submitted.submitter === send) {
        submitted.preventDefault();
        trySend();
      }
    });
    note.addEventListener("input", () => {
      error.textContent = "";
      note.removeAttribute("aria-invalid");
    });
    note.addEventListener("keydown", (pressed) => {
      if (pressed.key === "Enter" && (pressed.ctrlKey || pressed.metaKey)) {
        pressed.preventDefault();
        trySend();
      }
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "escalate" ? sent : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    note.focus();
  });
}
