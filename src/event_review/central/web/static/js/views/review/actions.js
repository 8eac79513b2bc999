// What the reviewer does on the review screen, and what the server answers:
// claim a batch, open an event (and fetch its payload), submit, skip, escalate. Every
// request goes through api.js; failures become toasts or notices in plain words.
// What the reviewer chose and typed is saved as a draft on every change; a
// 422 is shown at the places of the form it names.

import { api } from "../../api.js";
import { replace, toast } from "../../dom.js";
import { removeDraft, saveDraft } from "../../drafts.js";
import { refText } from "../../forms/cache.js";
import { describe } from "../../messages.js";
import { renderPayload, renderPayloadError, renderPayloadLoading } from "../../payload.js";
import { session } from "../../session.js";
import { reloadForm } from "./form.js";
import { createQueueActions, plural } from "./queue-actions.js";
import { renderForm } from "./rendering.js";
import { askEscalation } from "./escalate.js";
import { chooseSkipReason } from "./skip.js";
import { selected } from "./state.js";
import { setStatus } from "./structure.js";

const userId = () => session.me.user_id;
const DONE = { approve: "Approved", reject: "Rejected" };

/** "Approved with rating 4. It is on its way to EU." */
function reviewedText(decision, rating, event) {
  const done = DONE[decision.key] || `Reviewed: ${decision.label}`;
  const rated = rating === null || rating === undefined ? "" : ` with rating ${rating}`;
  return `${done}${rated}. It is on its way to ${event.region_code.toUpperCase()}.`;
}

/** The actions of one mounted screen, bound to its `view` ({state, ui}). */
export function createActions(view) {
  const { state, ui } = view;
  const queue = createQueueActions(view);
  const { drop } = queue;

  /**
   * The server says the event is no longer this reviewer's: let it go, and say
   * why and what is still theirs (from the server: other leases may have
   * ended too), instead of sending them off for a new batch they do not need.
   */
  function letGo(event, message) {
    if (!message.gone) return false;
    drop(event.event_id);
    const said = `${message.title} ${message.text}`;
    api("/api/v1/assignments").then((held) => {
      const kept = new Set(held.events.map((e) => e.event_id));
      for (const gone of state.events.filter((e) => !kept.has(e.event_id))) drop(gone.event_id);
      const count = held.events.length;
      const advice = count
        ? ` ${count} event${plural(count)} ${count === 1 ? "is" : "are"} still yours.`
        : " You hold no other events: get the next batch to carry on (n).";
      toast(said + advice, "warn", 8000);
    }, () => toast(said, "warn", 8000));
    return true;
  }

  async function loadPayload(event) {
    if (state.payloadRequest) state.payloadRequest.abort();
    const request = new AbortController();
    state.payloadRequest = request;
    try {
      const payload = await api(`/api/v1/events/${event.event_id}/payload`, { signal: request.signal });
      if (request.signal.aborted || state.selectedId !== event.event_id) return;
      state.payloads.set(event.event_id, payload);
      renderPayload(ui.eventPanel.querySelector("#event-body"), event, payload);
    } catch (error) {
      if (error.name === "AbortError" || state.selectedId !== event.event_id) return;
      const message = describe(error, { region: event.region_code });
      if (letGo(event, message)) return;
      const body = ui.eventPanel.querySelector("#event-body");
      renderPayloadError(body, event, message, () => {
        renderPayloadLoading(body, event);
        loadPayload(event);
      });
    } finally {
      if (state.payloadRequest === request) state.payloadRequest = null;
    }
  }

  /** Keep what the form holds for the open event (on every input). */
  function keepDraft() {
    const form = view.formView;
    if (state.selectedId && form && !ui.fieldset.disabled) {
      saveDraft(userId(), state.selectedId, { ...form.read(), form: refText(form.ref) });
    }
  }

  /**
   * Submit and skip both end the reviewer's hold on the event: the form is
   * busy while `request` runs; on success the toast says [text, kind] and the
   * next event opens, on failure the form says why (unless the event is gone,
   * or `failed(error)` dealt with it and returned true).
   */
  async function finish(event, request, [text, kind], { accepted = () => {}, failed = () => false } = {}) {
    state.busy = true;
    renderForm(view);
    try {
      await request();
      state.busy = false;
      accepted();
      toast(text, kind);
      drop(event.event_id);
    } catch (error) {
      state.busy = false;
      renderForm(view);
      const message = describe(error, { region: event.region_code });
      if (!letGo(event, message) && !failed(error)) setStatus(ui, "error", message.title, message.text);
    } finally {
      renderForm(view);
    }
  }

  /** A 422 on the answers: each named place says what is wrong, and nothing typed is lost. */
  function refused(event, form, error) {
    if (error.code === "form_not_applicable") {
      reloadForm(view, event).then(() => {
        if (selected(state) !== event || !view.formView) return;
        setStatus(ui, "warn", "The form for this event changed while you worked.",
          `It is now version ${view.formView.ref.version}. What you typed is kept where it still fits: check it, then submit again.`);
      });
      return true;
    }
    if (error.code !== "validation_error" || view.formView !== form) return false;
    const { places, unplaced } = form.showErrors(error.details);
    if (!places.length) return false;
    const rest = unplaced.length ? ` ${describe(error).text}` : "";
    setStatus(ui, "error", "Some answers need a change.", `Check: ${places.map(form.labelOf).join(", ")}.${rest}`);
    return true;
  }

  async function submitReview() {
    const event = selected(state);
    const form = view.formView;
    if (!event || !form || state.busy || state.expired) return;
    const missing = form.missing();
    if (missing.length) {
      setStatus(ui, "warn", null, form.missingText(missing));
      return;
    }
    form.clearErrors();
    // The version shown goes along: answers are checked against what the reviewer saw.
    const body = { ...form.body(), form: form.ref };
    await finish(event,
      () => api(`/api/v1/events/${event.event_id}/review`, { method: "POST", body }),
      [reviewedText(form.decision(), body.rating, event), "ok"],
      { accepted: () => removeDraft(userId(), event.event_id), failed: (error) => refused(event, form, error) });
  }

  async function skip() {
    const event = selected(state);
    if (!event || state.busy || state.expired) return;
    const choice = await chooseSkipReason();
    if (!choice || selected(state) !== event) return;
    await finish(event,
      () => api(`/api/v1/events/${event.event_id}/skip`, {
        method: "POST",
        body: choice.reason ? { reason: choice.reason } : undefined,
      }),
      ["Skipped. The event went back to the queue, for other reviewers first.", "info"]);
  }

  /** Hand the open event to the region's leads, with a note of what to look at (e). */
  async function escalate() {
    const event = selected(state);
    if (!event || state.busy || state.expired || event.queue === "escalated") return;
    const choice = await askEscalation(event);
    if (!choice || selected(state) !== event) return;
    await finish(event,
      () => api(`/api/v1/events/${event.event_id}/escalate`, { method: "POST", body: { note: choice.note } }),
      [`Escalated: a lead of ${event.region_code.toUpperCase()} decides it now.`, "info"]);
  }

  /** A key of the open event's form (a decision, a reason option, a rating digit); true when it answered something. */
  function answer(key) {
    if (ui.fieldset.disabled || !view.formView || !view.formView.press(key)) return false;
    keepDraft();
    replace(ui.formStatus);
    return true;
  }

  function focusComment() {
    if (!ui.fieldset.disabled && view.formView && view.formView.comment) view.formView.comment.focus();
  }

  return { ...queue, loadPayload, submitReview, skip, escalate, answer, focusComment, keepDraft };
}
