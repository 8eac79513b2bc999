// QA (#/qa), for QA reviewers, leads and admins: judge colleagues' sampled
// reviews, never one's own. The review under QA is shown beside the same form
// it was made with, filled with its answers: Enter agrees with it; changing an
// answer makes Enter send the QA reviewer's answers as its correction.
// Operable entirely from the keyboard, like the review screen.

import { keepClearOfToasts } from "../dom.js";
import { showFormShortcuts } from "../forms/hotkeys.js";
import { zoomImage } from "../image-viewer.js";
import { anyDialogOpen, enterSubmits, hasModifier, isTyping } from "../keys.js";
import { createScreen } from "./qa/screen.js";
import { buildScreen } from "./qa/structure.js";

function keyHandler(view) {
  const { actions, ui } = view;
  const table = {
    j: () => actions.move(1),
    k: () => actions.move(-1),
    n: () => actions.claim(),
    s: () => actions.release(),
    c: () => actions.focusComment(),
    z: () => zoomImage(ui.eventPanel),
  };
  return (event) => {
    if (anyDialogOpen() || event.defaultPrevented) return;
    const target = event.target;
    const inForm = target instanceof Element && ui.form.contains(target);
    const inCommentBox = target instanceof HTMLTextAreaElement && inForm;
    if (enterSubmits(event, inCommentBox, () => actions.verdict())) return;
    if (event.key === "Escape" && inForm && isTyping(target)) {
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

export function mount(container) {
  const view = {
    state: {
      tasks: [],
      selectedId: null,
      opened: new Map(), // task id -> {ready, form, revision}: what the verdict panel needs
      payloads: new Map(), // event id -> payload, in memory only
      payloadRequest: null,
      listState: "loading", // loading | held | none | empty | done
      busy: false,
      expired: false,
    },
    ui: buildScreen(container),
    formView: null,
  };
  const { state, ui } = view;
  // The verdict panel is always the long form's column, never the compact row.
  for (const node of [ui.layout, ui.verdictPanel, ui.fieldset]) node.classList.add("extended");
  view.actions = createScreen(view);
  const { actions } = view;

  ui.claimForm.addEventListener("submit", (event) => {
    event.preventDefault();
    actions.claim();
  });
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    actions.verdict();
  });
  ui.form.addEventListener("input", () => actions.renderChanges());
  ui.form.addEventListener("change", () => actions.renderChanges());
  ui.undoButton.addEventListener("click", () => actions.undo());
  ui.releaseButton.addEventListener("click", () => actions.release());
  const releaseToasts = [ui.verdictButton, ui.releaseButton].map(keepClearOfToasts);
  const onKeyDown = keyHandler(view);
  document.addEventListener("keydown", onKeyDown);
  const ticker = setInterval(() => actions.renderLease(), 1000);
  actions.render();
  actions.loadHeld();

  return () => {
    document.removeEventListener("keydown", onKeyDown);
    releaseToasts.forEach((release) => release());
    clearInterval(ticker);
    if (state.payloadRequest) state.payloadRequest.abort();
    state.payloads.clear();
    // Typed text read from a region lives only as long as the screen.
    for (const id of [...state.opened.keys()]) actions.forget(id);
    showFormShortcuts(null);
  };
}
