// What one mounted review screen knows. A fresh object per mount, handed to
// the other review modules, so nothing lingers from one visit to the next.

import { session } from "../../session.js";

export function createState() {
  return {
    events: [],
    selectedId: null,
    payloads: new Map(), // event id -> payload, in memory only; dropped when the event leaves
    drafts: new Map(), // event id -> {decision, rating, comment} while moving between events
    payloadRequest: null,
    queueState: "loading", // loading | held | none | empty | done
    busy: false,
    warned: false,
    expired: false,
    // The regions of the reviewer's team, for the queue's messages; read once per mount.
    regions: (session.me.regions || []).map((r) => r.toUpperCase()).join(", ") || "none",
  };
}

export function selected(state) {
  return state.events.find((e) => e.event_id === state.selectedId) || null;
}

export function selectedIndex(state) {
  return state.events.findIndex((e) => e.event_id === state.selectedId);
}
