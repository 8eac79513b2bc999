// Keyboard helpers shared by the views.

// What a number field takes as typing; any other key (j, n, ...) is a shortcut,
// so the batch-size field does not swallow the reviewer's keys after use.
const NUMBER_KEYS = /^([0-9.,eE+-]|Backspace|Delete|Arrow.*|Home|End|Tab)$/;

/** True while the user types into a field: single-key shortcuts must not fire. */
export function isTyping(target, key = null) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    if (target.type === "number" && key !== null) return NUMBER_KEYS.test(key);
    return !["radio", "checkbox", "button", "submit", "reset", "range", "color"].includes(target.type);
  }
  return false;
}

/** Any modifier but Shift: leave the browser's and the OS's shortcuts alone. */
export function hasModifier(event) {
  return event.ctrlKey || event.metaKey || event.altKey;
}

export function anyDialogOpen() {
  return document.querySelector("dialog[open]") !== null;
}

/**
 * Enter on a screen whose form it submits (review, QA): `submit` from a choice or
 * a queue item, Ctrl/⌘+Enter from the comment box, nothing from other fields or
 * from buttons and links, which do their own thing. True when the key was Enter,
 * whether it submitted or was left alone on purpose.
 */
export function enterSubmits(event, inCommentBox, submit) {
  if (event.key !== "Enter") return false;
  if (inCommentBox) {
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      submit();
    }
    return true;
  }
  const target = event.target;
  if (hasModifier(event) || isTyping(target)) return true;
  const control = target instanceof Element ? target.closest("button, a, summary") : null;
  if (control && !control.classList.contains("queue-item")) return true;
  event.preventDefault();
  submit();
  return true;
}
