// The reviewer's screen: the queue of held events, the event with its
// regional payload, and the event's review form. Operable entirely from the keyboard.
// This module only wires the parts in review/ together for one mount.

import { keepClearOfToasts } from "../dom.js";
import { session } from "../session.js";
import { createActions } from "./review/actions.js";
import { forgetForms } from "./review/form.js";
import { keyHandler } from "./review/keyboard.js";
import { renderLease } from "./review/lease.js";
import { render, renderQueue } from "./review/rendering.js";
import { createState } from "./review/state.js";
import { buildScreen } from "./review/structure.js";

/** `open`: an event to open once loaded, for a #/events/ID link to an event the reviewer holds. */
export function mount(container, { open = null } = {}) {
  // One object per mount, passed to every part: state, the screen's handles
  // and the actions the screen's controls trigger.
  const view = { state: createState({ open }), ui: buildScreen(container), formView: null };
  view.actions = createActions(view);
  view.redraw = () => render(view);
  const { state, ui, actions } = view;

  ui.batchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    actions.nextBatch();
  });
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    actions.submitReview();
  });
  ui.skipButton.addEventListener("click", () => actions.skip());
  ui.escalateButton.addEventListener("click", () => actions.escalate());
  // Every choice and keystroke is kept at once: a reload loses nothing.
  ui.form.addEventListener("input", () => actions.keepDraft());
  ui.form.addEventListener("change", () => actions.keepDraft());
  const releaseToasts = [ui.submitButton, ui.skipButton, ui.escalateButton].map(keepClearOfToasts);
  // The team's regions can change while the screen is open.
  const unsubscribe = session.onChange(() => renderQueue(view));

  const onKeyDown = keyHandler(view);
  document.addEventListener("keydown", onKeyDown);
  const ticker = setInterval(() => renderLease(view), 1000);
  render(view);
  actions.loadHeld();

  return () => {
    document.removeEventListener("keydown", onKeyDown);
    releaseToasts.forEach((release) => release());
    unsubscribe();
    clearInterval(ticker);
    if (state.payloadRequest) state.payloadRequest.abort();
    state.payloads.clear();
    forgetForms();
  };
}
