// The queue side of the review screen's actions: which event is open, moving
// between events, letting one go, and claiming or reloading what is held.
// Opening an event shows its form with its draft (form.js).

import { api } from "../../api.js";
import { notice, replace, toast } from "../../dom.js";
import { isTyping } from "../../keys.js";
import { describe } from "../../messages.js";
import { prepareForms, showForm } from "./form.js";
import { render, renderEvent, renderForm, renderQueue } from "./rendering.js";
import { selectedIndex } from "./state.js";
import { batchSize, chosenQueue } from "./structure.js";

export const plural = (n) => (n === 1 ? "" : "s");

export function createQueueActions(view) {
  const { state, ui } = view;

  function select(eventId) {
    if (state.selectedId === eventId) return;
    state.selectedId = eventId;
    renderQueue(view);
    renderEvent(view);
    showForm(view);
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
    const idle = !active || active === document.body || active === ui.batchButton || active === ui.sizeInput
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
    if (state.selectedId === eventId) {
      state.selectedId = null;
      const next = state.events[Math.min(index, state.events.length - 1)];
      if (next) {
        select(next.event_id);
        focusSelected();
        return;
      }
      state.queueState = "done";
      showForm(view);
    }
    render(view);
    if (!state.events.length) ui.batchButton.focus();
  }

  /** Show what is held; the first event opens once the forms of the batch are in, so its keys work at once. */
  async function showBatch(batch, { claimed }) {
    const before = state.selectedId;
    state.events = batch.events;
    state.holdUntil = batch.hold_until || null;
    state.payloads.clear();
    const held = new Set(batch.events.map((e) => e.event_id));
    for (const id of [...state.forms.keys()]) if (!held.has(id)) state.forms.delete(id);
    state.warned = false;
    state.expired = false;
    replace(ui.leaseNote);
    state.selectedId = null;
    showForm(view);
    state.queueState = batch.events.length ? "held" : claimed ? "empty" : "none";
    render(view);
    await prepareForms(view, batch.events);
    // Unless the reviewer opened one meanwhile, or another batch came in.
    if (batch.events.length && state.selectedId === null && state.events === batch.events) {
      // A #/events/ID link opens that event; otherwise the one open before, or the first.
      const wanted = [state.open, before].find((id) => id && batch.events.some((e) => e.event_id === id));
      state.open = null;
      select(wanted || batch.events[0].event_id);
      focusSelected();
    }
  }

  function leaseNoteError(error) {
    const message = describe(error);
    replace(ui.leaseNote, notice("error", message.title, message.text));
  }

  /** What the reviewer already holds, e.g. after a reload. */
  // A claim answers with everything held, so it is never older than a list
  // asked for before it: that list's late answer would empty a fresh claim.
  let claims = 0;

  async function loadHeld() {
    const asked = claims;
    try {
      const held = await api("/api/v1/assignments");
      if (asked === claims) await showBatch(held, { claimed: false });
    } catch (error) {
      if (asked !== claims) return;
      state.queueState = "none";
      render(view);
      leaseNoteError(error);
    }
  }

  async function nextBatch() {
    if (state.busy) return;
    const { batchButton } = ui;
    const holding = state.events.length > 0 && !state.expired;
    const size = batchSize(ui);
    if (size === null) {
      ui.sizeInput.dispatchEvent(new Event("change"));
      ui.sizeInput.focus();
      return;
    }
    claims += 1;
    state.busy = true;
    batchButton.disabled = true;
    batchButton.textContent = "Getting events…";
    try {
      // Leads choose the queue; reviewers have the one.
      const queue = chosenQueue(ui);
      const batch = await api("/api/v1/assignments/next-batch", {
        method: "POST",
        body: ui.queueSelect ? { size, queue } : { size },
      });
      state.claimedQueue = queue;
      await showBatch(batch, { claimed: true });
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

  return { select, focusSelected, move, drop, showBatch, loadHeld, nextBatch };
}
