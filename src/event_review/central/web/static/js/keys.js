// Keyboard helpers shared by the views.

/** True while the user types into a field: single-key shortcuts must not fire. */
export function isTyping(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
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
