// Skipping asks why, in one keystroke or none: s opens this chooser, 1–5
// picks a reason, Enter skips (with no reason if none was picked), Esc keeps
// the event. The reason tells the queue whom to offer the event next.

import { h } from "../../dom.js";

export const SKIP_REASONS = [
  ["unclear", "Unclear: I cannot tell what happened"],
  ["needs_expert", "Needs an expert"],
  ["conflict_of_interest", "Conflict of interest"],
  ["payload_unavailable", "The payload cannot be loaded"],
  ["other", "Other"],
];

/** Resolves to {reason} (reason may be null) when the reviewer skips, or null when they cancel. */
export function chooseSkipReason() {
  return new Promise((resolve) => {
    const options = SKIP_REASONS.map(([value, text], i) => {
      const id = `skip-reason-${value}`;
      return h("div", { class: "choice reason" },
        h("input", { type: "radio", name: "reason", id, value }),
        h("label", { for: id }, h("kbd", { "aria-hidden": "true" }, String(i + 1)), text));
    });
    const skipButton = h("button", { class: "button primary", value: "skip", id: "skip-confirm" }, "Skip event", h("kbd", { "aria-hidden": "true" }, "Enter"));
    const form = h("form", { method: "dialog" },
      h("fieldset", null,
        h("legend", null, "Why are you skipping it? ", h("span", { class: "hint" }, "optional")),
        h("div", { class: "reason-list" }, options)),
      h("div", { class: "dialog-actions" },
        h("button", { class: "button", value: "cancel", type: "submit", formnovalidate: true }, "Keep it", h("kbd", { "aria-hidden": "true" }, "Esc")),
        skipButton),
    );
    const dialog = h("dialog", { class: "dialog", id: "skip-dialog", "aria-labelledby": "skip-title", "aria-describedby": "skip-text" },
      h("h2", { id: "skip-title" }, "Skip this event"),
      h("p", { class: "muted", id: "skip-text" }, "It goes back to the queue and is offered to other reviewers first."),
      form,
    );
    dialog.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const index = /^[1-9]$/.test(event.key) ? Number(event.key) - 1 : -1;
      if (index >= 0 && index < SKIP_REASONS.length) {
        event.preventDefault();
        const radio = form.elements.reason[index];
        radio.checked = true;
        radio.focus();
      } else if (event.key === "Enter" && event.target instanceof HTMLInputElement) {
        // A radio does not submit its form on Enter by itself.
        event.preventDefault();
        dialog.close("skip");
      }
    });
    dialog.addEventListener("close", () => {
      const reason = form.elements.reason.value || null;
      dialog.remove();
      resolve(dialog.returnValue === "skip" ? { reason } : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    // Focus on the skip button: Enter at once skips without a reason.
    skipButton.focus();
  });
}
