// The review screen's shortcuts, so a reviewer never needs the mouse. The
// screen's own keys come first; any other key goes to the open event's form
// (its decisions' and reasons' hotkeys, its rating digits: forms/hotkeys.js).
// The list a person reads is the shortcuts dialog in index.html (opened with
// ? by main.js on every screen; its form part is generated); keep the two in step.

import { zoomImage } from "../../image-viewer.js";
import { anyDialogOpen, enterSubmits, hasModifier, isTyping } from "../../keys.js";
import { extend } from "./lease.js";

/** The screen's single keys, active while the reviewer is not typing. */
function shortcuts(view) {
  const { actions } = view;
  return {
    j: () => actions.move(1),
    k: () => actions.move(-1),
    s: () => actions.skip(),
    e: () => actions.escalate(),
    n: () => actions.nextBatch(),
    c: () => actions.focusComment(),
    x: () => extend(view),
    z: () => zoomImage(view.ui.eventPanel),
  };
}

/** The keydown handler for one mounted screen; the caller adds and removes it. */
export function keyHandler(view) {
  const { actions } = view;
  const table = shortcuts(view);
  return (event) => {
    if (anyDialogOpen() || event.defaultPrevented) return;
    const target = event.target;
    const form = view.formView;
    const comment = form ? form.comment : null;
    if (enterSubmits(event, Boolean(comment) && target === comment, () => actions.submitReview())) return;
    // Esc in a field of the form hands the keys back to the shortcuts.
    if (event.key === "Escape" && form && form.contains(target) && isTyping(target)) {
      target.blur();
      return;
    }
    if (hasModifier(event) || isTyping(target, event.key)) return;
    const action = table[event.key];
    if (action) {
      event.preventDefault();
      action();
    } else if (actions.answer(event.key)) {
      event.preventDefault();
    }
  };
}
