// What the reviewer does on the review screen, and what the server answers:
// claim a batch, open an event (and fetch its payload), submit, skip. Every
// request goes through api.js; failures become toasts or notices in plain words.
// What the reviewer chose and typed is saved as a draft on every change.

import { api } from "../../api.js";
import { replace, toast } from "../../dom.js";
import { removeDraft, saveDraft } from "../../drafts.js";
import { describe } from "../../messages.js";
import { renderPayload, renderPayloadError, renderPayloadLoading } from "../../payload.js";
import { session } from "../../session.js";
import { createQueueActions, plural } from "./queue-actions.js";
import { renderForm } from "./rendering.js";
import { chooseSkipReason } from "./skip.js";
import { selected } from "./state.js";
import { readForm, setStatus } from "./structure.js";

const userId = () => session.me.user_id;

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
    if (state.selectedId && !ui.fieldset.disabled) saveDraft(userId(), state.selectedId, readForm(ui));
  }

  /**
   * Submit and skip both end the reviewer's hold on the event: the form is
   * busy while `request` runs; on success the toast says [text, kind] and the
   * next event opens, on failure the form says why (unless the event is gone).
   */
  async function finish(event, request, [text, kind], accepted = () => {}) {
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
      const message = describe(error, { region: event.region_code });
      if (!letGo(event, message)) {
        renderForm(view);
        setStatus(ui, "error", message.title, message.text);
      }
    } finally {
      renderForm(view);
    }
  }

  async function submitReview() {
    const event = selected(state);
    if (!event || state.busy || state.expired) return;
    const { decision, rating, comment: text } = readForm(ui);
    if (!decision || !rating) {
      const missing = [!decision ? "approve or reject (a / r)" : null, !rating ? "a rating (1–5)" : null].filter(Boolean);
      setStatus(ui, "warn", null, `Choose ${missing.join(" and ")} first.`);
      return;
    }
    await finish(event,
      () => api(`/api/v1/events/${event.event_id}/review`, {
        method: "POST",
        body: { decision, rating, comment: text.trim() ? text.trim() : null },
      }),
      [`${decision === "approve" ? "Approved" : "Rejected"} with rating ${rating}. It is on its way to ${event.region_code.toUpperCase()}.`, "ok"],
      () => removeDraft(userId(), event.event_id));
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

  /** Check a decision or rating radio, as its shortcut does. */
  function check(name, value) {
    if (ui.fieldset.disabled) return;
    const input = ui.form.querySelector(`input[name="${name}"][value="${value}"]`);
    if (input) {
      input.checked = true;
      keepDraft();
      // Focus follows the choice: the reviewer sees where they are, and Enter
      // submits from there even if a button or link had focus before.
      input.focus();
      replace(ui.formStatus);
    }
  }

  function focusComment() {
    if (!ui.fieldset.disabled) ui.comment.focus();
  }

  return { ...queue, loadPayload, submitReview, skip, check, focusComment, keepDraft };
}
