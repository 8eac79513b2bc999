// The lease: a countdown to the earliest lease of the batch, a warning two
// minutes before it ends that offers to extend it (button or x), and the
// extension itself. The server caps every extension at the longest hold
// (hold_until); past it the warning says so instead of offering more time.

import { api, serverNow } from "../../api.js";
import { formatCountdown, formatTime, h, notice, replace, toast } from "../../dom.js";
import { describe } from "../../messages.js";
import { selected } from "./state.js";

const WARN_SECONDS = 120;

export const secondsLeft = (iso) => (new Date(iso).getTime() - serverNow()) / 1000;

function earliestLease(state) {
  const leases = state.events.map((e) => e.lease_expires_at).filter(Boolean).map((iso) => new Date(iso).getTime());
  return leases.length ? Math.min(...leases) : null;
}

/** Whether asking for more time can still give any: not once the hold limit is reached. */
function extensible(state, earliest) {
  if (!state.holdUntil) return true;
  return new Date(state.holdUntil).getTime() - earliest > 1000;
}

function button(id, text, key, onClick) {
  const node = h("button", { class: "button small", type: "button", id }, text, key ? h("kbd", { "aria-hidden": "true" }, key) : null);
  node.addEventListener("click", onClick);
  return node;
}

function warn(view, earliest) {
  const { state, ui } = view;
  if (extensible(state, earliest)) {
    replace(ui.leaseNote, notice("warn", "Less than two minutes left.",
      "Extend your lease to keep these events, or submit or skip what you can; unreviewed events then go back to the queue.",
      [button("extend-lease", "Extend lease", "x", () => extend(view))]));
  } else {
    replace(ui.leaseNote, notice("warn", "Less than two minutes left, and no more extensions.",
      `You have held these events as long as one reviewer may (until ${formatTime(state.holdUntil)}). Submit or skip what you can; the rest go back to the queue.`));
  }
}

/** Runs every second: the countdown, and the warning or the end once. */
export function renderLease(view) {
  const { state, ui } = view;
  const { lease, leaseNote } = ui;
  const earliest = earliestLease(state);
  if (earliest === null) {
    lease.hidden = true;
    if (!state.events.length && (state.warned || state.expired)) replace(leaseNote);
    return;
  }
  const left = (earliest - serverNow()) / 1000;
  lease.hidden = false;
  lease.className = `lease${left <= 0 ? " expired" : left <= WARN_SECONDS ? " warn" : ""}`;
  lease.textContent = left <= 0 ? "Lease expired" : `Lease ${formatCountdown(left)}`;
  lease.title = `Your lease on these events ends at ${formatTime(new Date(earliest).toISOString())}`;

  if (left <= 0 && !state.expired) {
    state.expired = true;
    replace(leaseNote, notice("error", "Your lease expired.",
      "The events you did not review go back to the queue. What you typed is kept in this browser. Get a new batch to continue.",
      [button("expired-next", "Get next batch", null, () => view.actions.nextBatch())]));
    view.redraw();
  } else if (left > 0 && left <= WARN_SECONDS && !state.warned) {
    state.warned = true;
    warn(view, earliest);
  } else if (left > WARN_SECONDS && (state.warned || state.expired)) {
    state.warned = false;
    state.expired = false;
    replace(leaseNote);
    view.redraw();
  }
  const current = selected(state);
  const eventLease = ui.eventPanel.querySelector("#event-lease");
  if (current && eventLease && current.lease_expires_at) {
    const own = secondsLeft(current.lease_expires_at);
    eventLease.textContent = own <= 0 ? "expired" : formatCountdown(own);
  }
}

/** Push the leases of everything held as far as the server allows (x, or the warning's button). */
export async function extend(view) {
  const { state, ui } = view;
  if (state.extending || !state.events.length || state.expired) return;
  state.extending = true;
  try {
    const batch = await api("/api/v1/assignments/extend", { method: "POST" });
    const leases = new Map(batch.events.map((e) => [e.event_id, e.lease_expires_at]));
    for (const event of state.events) {
      if (leases.has(event.event_id)) event.lease_expires_at = leases.get(event.event_id);
    }
    state.holdUntil = batch.hold_until || null;
    state.warned = false;
    replace(ui.leaseNote);
    renderLease(view);
    const until = batch.lease_expires_at ? formatTime(batch.lease_expires_at) : null;
    toast(until ? `Lease extended: these events are yours until ${until}.` : "Lease extended.", "ok");
  } catch (error) {
    const message = describe(error);
    replace(ui.leaseNote, notice("error", message.title, message.text));
    if (error.code === "nothing_held") view.actions.loadHeld();
  } finally {
    state.extending = false;
  }
}
