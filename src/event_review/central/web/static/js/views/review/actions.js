// What the reviewer does on the review screen, and what the server answers:
// claim a batch, open an event (and fetch its payload), submit, skip. Every
// request goes through api.js; failures become toasts or notices in plain words.

import { api } from "../../api.js";
import { notice, replace, toast } from "../../dom.js";
import { isTyping } from "../../keys.js";
import { describe } from "../../messages.js";
import { renderPayload, renderPayloadError, renderPayloadLoading } from "../../payload.js";
import { render, renderEvent, renderForm, renderQueue } from "./rendering.js";
import { selected, selectedIndex } from "./state.js";
import { readForm, setStatus, writeForm } from "./structure.js";

const plural = (n) => (n === 1 ? "" : "s");

/** The actions of one mounted screen, bound to its `view` ({state, ui}). */
export function createActions(view) {
  const { state, ui } = view;

  /** The server says the event is no longer this reviewer's: let it go and say why. */
  function letGo(event, message) {
    if (!message.gone) return false;
    drop(event.event_id);
    toast(`${message.title} ${message.text}`, "warn", 7000);
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

  function select(eventId) {
    if (state.selectedId === eventId) return;
    if (state.selectedId) state.drafts.set(state.selectedId, readForm(ui));
    state.selectedId = eventId;
    writeForm(ui, state.drafts.get(eventId));
    renderQueue(view);
    renderEvent(view);
    renderForm(view);
    const item = ui.list.querySelector(`[data-event-id="${eventId}"]`);
    if (item) item.scrollIntoView({ block: "nearest" });
  }

  /**
   * Put keyboard focus on the open event's queue item, unless the reviewer is
   * busy elsewhere. Otherwise focus stays on a button just clicked ("Get next
   * batch") and Enter would press that button instead of submitting.
   */
  function focusSelected() {
    const active = document.activeElement;
    const idle = !active || active === document.body || active === ui.batchButton
      || (active.closest && active.closest(".queue-list, .review-panel") && !isTyping(active));
    if (!idle) return;
    const item = ui.list.querySelector('[aria-current="true"]');
    if (item) item.focus();
  }

  function move(step) {
    if (!state.events.length || state.expired) return;
    const index = selectedIndex(state);
    const next = index === -1 ? 0 : Math.min(state.events.length - 1, Math.max(0, index + step));
    select(state.events[next].event_id);
    if (document.activeElement && document.activeElement.closest && document.activeElement.closest(".queue-list")) {
      focusSelected();
    }
  }

  /** The event left the reviewer's hands: forget it and open the next one. */
  function drop(eventId) {
    const index = state.events.findIndex((e) => e.event_id === eventId);
    state.events = state.events.filter((e) => e.event_id !== eventId);
    state.payloads.delete(eventId);
    state.drafts.delete(eventId);
    if (state.selectedId === eventId) {
      state.selectedId = null;
      const next = state.events[Math.min(index, state.events.length - 1)];
      writeForm(ui, null);
      if (next) {
        select(next.event_id);
        focusSelected();
        return;
      }
      state.queueState = "done";
    }
    render(view);
    if (!state.events.length) ui.batchButton.focus();
  }

  function showBatch(batch, { claimed }) {
    state.events = batch.events;
    state.payloads.clear();
    state.drafts.clear();
    state.warned = false;
    state.expired = false;
    replace(ui.leaseNote);
    state.selectedId = null;
    writeForm(ui, null);
    state.queueState = batch.events.length ? "held" : claimed ? "empty" : "none";
    render(view);
    if (batch.events.length) {
      select(batch.events[0].event_id);
      focusSelected();
    }
  }

  function leaseNoteError(error) {
    const message = describe(error);
    replace(ui.leaseNote, notice("error", message.title, message.text));
  }

  /** What the reviewer already holds, e.g. after a reload. */
  async function loadHeld() {
    try {
      showBatch(await api("/api/v1/assignments"), { claimed: false });
    } catch (error) {
      state.queueState = "none";
      render(view);
      leaseNoteError(error);
    }
  }

  async function nextBatch() {
    if (state.busy) return;
    const { batchButton } = ui;
    const holding = state.events.length > 0 && !state.expired;
    state.busy = true;
    batchButton.disabled = true;
    batchButton.textContent = "Getting events…";
    try {
      const batch = await api("/api/v1/assignments/next-batch", {
        method: "POST",
        body: { size: Number(ui.sizeSelect.value) },
      });
      showBatch(batch, { claimed: true });
      const count = batch.events.length;
      if (holding && count) {
        toast(`You still hold ${count} event${plural(count)}. Review or skip them to get new ones.`, "info");
      } else if (count) {
        toast(`${count} event${plural(count)} claimed.`, "ok");
      }
    } catch (error) {
      leaseNoteError(error);
    } finally {
      state.busy = false;
      batchButton.disabled = false;
      batchButton.textContent = "Get next batch";
      renderForm(view);
    }
  }

  /**
   * Submit and skip both end the reviewer's hold on the event: the form is
   * busy while `request` runs; on success the toast says [text, kind] and the
   * next event opens, on failure the form says why (unless the event is gone).
   */
  async function finish(event, request, [text, kind]) {
    state.busy = true;
    renderForm(view);
    try {
      await request();
      state.busy = false;
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
      [`${decision === "approve" ? "Approved" : "Rejected"} with rating ${rating}. It is on its way to ${event.region_code.toUpperCase()}.`, "ok"]);
  }

  async function skip() {
    const event = selected(state);
    if (!event || state.busy) return;
    await finish(event,
      () => api(`/api/v1/events/${event.event_id}/release`, { method: "POST" }),
      ["Skipped. The event went back to the queue.", "info"]);
  }

  /** Check a decision or rating radio, as its shortcut does. */
  function check(name, value) {
    if (ui.fieldset.disabled) return;
    const input = ui.form.querySelector(`input[name="${name}"][value="${value}"]`);
    if (input) {
      input.checked = true;
      // Focus follows the choice: the reviewer sees where they are, and Enter
      // submits from there even if a button or link had focus before.
      input.focus();
      replace(ui.formStatus);
    }
  }

  function focusComment() {
    if (!ui.fieldset.disabled) ui.comment.focus();
  }

  return { loadPayload, select, move, loadHeld, nextBatch, submitReview, skip, check, focusComment };
}
