// What one mounted review screen knows. A fresh object per mount, handed to
// the other review modules, so nothing lingers from one visit to the next.
// Drafts are not here: they live in localStorage (drafts.js), to outlast it.

import { regionList } from "../../session.js";

export function createState({ open = null } = {}) {
  return {
    events: [],
    selectedId: null,
    open, // an event to open once the held ones are loaded (a #/events/ID link)
    payloads: new Map(), // event id -> payload, in memory only; dropped when the event leaves
    payloadRequest: null,
    forms: new Map(), // event id -> {form, error, promise}: the form it is reviewed with (form.js)
    queueState: "loading", // loading | held | none | empty | done
    claimedQueue: "review", // the queue of the last claim: "escalated" when a lead asked for those
    holdUntil: null, // past this the server extends no lease of the batch
    busy: false,
    warned: false,
    expired: false,
  };
}

/** The team's regions, as of the latest /auth/me: an admin may change them while the screen is open. */
export function regionsText() {
  return regionList();
}

export function selected(state) {
  return state.events.find((e) => e.event_id === state.selectedId) || null;
}

export function selectedIndex(state) {
  return state.events.findIndex((e) => e.event_id === state.selectedId);
}
