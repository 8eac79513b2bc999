// The review screen's shortcuts, so a reviewer never needs the mouse. The
// list a person reads is the shortcuts dialog in index.html (opened with ?
// by main.js on every screen); keep the two in step.

import { zoomImage } from "../../image-viewer.js";
import { anyDialogOpen, hasModifier, isTyping } from "../../keys.js";
import { extend } from "./lease.js";

/** Single keys, active while the reviewer is not typing; 1–5 rate. */
function shortcuts(view) {
  const { actions } = view;
  return {
    j: () => actions.move(1),
    k: () => actions.move(-1),
    a: () => actions.check("decision", "approve"),
    r: () => actions.check("decision", "reject"),
    s: () => actions.skip(),
    n: () => actions.nextBatch(),
    c: () => actions.focusComment(),
    x: () => extend(view),
    z: () => zoomImage(view.ui.eventPanel),
  };
}

/** The keydown handler for one mounted screen; the caller adds and removes it. */
export function keyHandler(view) {
  const { ui, actions } = view;
  const table = shortcuts(view);
  return (event) => {
    if (anyDialogOpen() || event.defaultPrevented) return;
    const target = event.target;
    if (event.key === "Enter") {
      if (target === ui.comment) {
        if (event.ctrlKey || event.metaKey) {
          event.preventDefault();
          actions.submitReview();
        }
        return;
      }
      if (hasModifier(event) || isTyping(target)) return;
      // Buttons and links do their own thing on Enter; queue items and the
      // decision/rating radios do not need to, so Enter submits from there.
      const control = target instanceof Element ? target.closest("button, a, summary") : null;
      if (control && !control.classList.contains("queue-item")) return;
      event.preventDefault();
      actions.submitReview();
      return;
    }
    if (event.key === "Escape" && target === ui.comment) {
      ui.comment.blur();
      return;
    }
    if (hasModifier(event) || isTyping(target, event.key)) return;
    let action = table[event.key];
    if (!action && /^[1-5]$/.test(event.key)) action = () => actions.check("rating", event.key);
    if (!action) return;
    event.preventDefault();
    action();
  };
}
