// The reviewer's screen: the queue of held events, the event with its
// regional payload, and the review form. Operable entirely from the keyboard.
// This module only wires the parts in review/ together for one mount.

import { createActions } from "./review/actions.js";
import { keyHandler } from "./review/keyboard.js";
import { render, renderLease } from "./review/rendering.js";
import { createState } from "./review/state.js";
import { buildScreen } from "./review/structure.js";

export function mount(container) {
  // One object per mount, passed to every part: state, the screen's handles
  // and the actions the screen's controls trigger.
  const view = { state: createState(), ui: buildScreen(container) };
  view.actions = createActions(view);
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

  const onKeyDown = keyHandler(view);
  document.addEventListener("keydown", onKeyDown);
  const ticker = setInterval(() => renderLease(view), 1000);
  render(view);
  actions.loadHeld();

  return () => {
    document.removeEventListener("keydown", onKeyDown);
    clearInterval(ticker);
    if (state.payloadRequest) state.payloadRequest.abort();
    state.payloads.clear();
  };
}
