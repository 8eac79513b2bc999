// The open event's review form: which one it is, put into the review panel,
// filled from the event's draft, and fetched again when the server says it
// changed. The server says which form an event is reviewed with; events the
// reviewer holds are unreviewed, so their form depends on their type and
// region alone, and a batch asks once per type and region. Each version is
// kept by forms/cache.js; the review screen builds its controls once per
// version it shows.

import { h, replace } from "../../dom.js";
import { loadDraft } from "../../drafts.js";
import { eventForm } from "../../forms/cache.js";
import { showFormShortcuts } from "../../forms/hotkeys.js";
import { guidelinesPanel, reviewForm } from "../../forms/review-form.js";
import { describe } from "../../messages.js";
import { session } from "../../session.js";
import { renderForm } from "./rendering.js";
import { selected } from "./state.js";

const GUIDELINES_KEY = "event-review.guidelines-closed";

function fetchEntry(eventId) {
  const entry = { form: null, error: null };
  entry.promise = eventForm(eventId).then((form) => { entry.form = form; }, (error) => { entry.error = error; });
  return entry;
}

/** Ask for the forms of `events` not known yet, one request per type and region; resolves when all answered. */
export function prepareForms(view, events) {
  const { forms } = view.state;
  const groups = new Map();
  for (const event of events) {
    if (forms.has(event.event_id)) continue;
    const group = `${event.region_code}/${event.event_type}`;
    if (!groups.has(group)) groups.set(group, fetchEntry(event.event_id));
    forms.set(event.event_id, groups.get(group));
  }
  return Promise.all([...groups.values()].map((entry) => entry.promise));
}

function clearForm(view, ...content) {
  const { ui } = view;
  if (view.formView) for (const section of view.formView.sections) section.remove();
  view.formView = null;
  ui.formPlaceholder.hidden = false;
  replace(ui.formPlaceholder, ...content);
  replace(ui.formHead);
  for (const node of [ui.layout, ui.reviewPanel, ui.fieldset]) node.classList.remove("extended");
  showFormShortcuts(null);
}

function guidelines(form) {
  return guidelinesPanel(form, {
    open: localStorage.getItem(GUIDELINES_KEY) !== "1",
    onToggle: (open) => (open ? localStorage.removeItem(GUIDELINES_KEY) : localStorage.setItem(GUIDELINES_KEY, "1")),
  });
}

function display(view, event, form, typed) {
  const { ui } = view;
  if (!view.formView || view.formView.form !== form) {
    clearForm(view);
    const built = reviewForm(form);
    ui.formPlaceholder.hidden = true;
    ui.formPlaceholder.before(...built.sections);
    replace(ui.formHead, guidelines(form));
    for (const node of [ui.layout, ui.reviewPanel, ui.fieldset]) node.classList.toggle("extended", built.extended);
    showFormShortcuts(form);
    view.formView = built;
  }
  view.formView.write(typed || loadDraft(session.me.user_id, event.event_id));
  replace(ui.formStatus);
}

function problem(view, event, error) {
  const message = describe(error, { region: event.region_code });
  const again = h("button", { class: "button small", type: "button", id: "form-again" }, "Try again");
  clearForm(view, "The review form could not be loaded.");
  replace(view.ui.formHead, h("div", { class: "notice error", role: "alert" },
    h("div", { class: "notice-body" },
      h("p", { class: "notice-title" }, message.title),
      message.text ? h("p", null, message.text) : null,
      h("div", { class: "notice-actions" }, again))));
  again.addEventListener("click", () => {
    view.state.forms.delete(event.event_id);
    showForm(view);
  });
}

/**
 * Show the selected event's form (or a placeholder), filled with `typed`
 * or else the event's draft. Resolves once it shows, or once loading failed.
 */
export async function showForm(view, typed = null) {
  const { state } = view;
  const event = selected(state);
  if (!event) {
    clearForm(view, "Open an event to see its review form.");
    return;
  }
  let entry = state.forms.get(event.event_id);
  if (!entry) {
    entry = fetchEntry(event.event_id);
    state.forms.set(event.event_id, entry);
  }
  if (!entry.form && !entry.error) {
    clearForm(view, "Loading the review form…");
    await entry.promise;
    if (selected(state) !== event) return;
  }
  if (entry.form) display(view, event, entry.form, typed);
  else problem(view, event, entry.error);
  renderForm(view);
}

/** The server refused the form version shown (a newer one applies now): fetch it, keeping what was typed. */
export async function reloadForm(view, event) {
  const stale = view.state.forms.get(event.event_id);
  const typed = view.formView ? view.formView.read() : null;
  for (const [id, entry] of view.state.forms) if (entry === stale) view.state.forms.delete(id);
  await showForm(view, typed);
}

/** Forget what the screen showed of forms (on unmount): the shortcuts dialog lists no form's keys. */
export function forgetForms() {
  showFormShortcuts(null);
}
