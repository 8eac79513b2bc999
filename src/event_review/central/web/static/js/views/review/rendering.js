// Drawing the review screen from its state: the queue list and its messages,
// the open event with its payload, and whether the form can be used (the lease
// countdown is lease.js, the form itself form.js). Clicks on what is drawn go
// to view.actions.

import { serverNow } from "../../api.js";
import { formatCountdown, formatDateTime, formatTime, h, humanize, priorityLevel, replace, timeAgo } from "../../dom.js";
import { renderPayload, renderPayloadLoading } from "../../payload.js";
import { renderLease, secondsLeft } from "./lease.js";
import { regionsText, selected } from "./state.js";

const NO_REGION = "Your team reviews no region yet, so there is nothing to claim. Ask an admin to map a region to your team.";

function queueItem(view, event) {
  const { state } = view;
  const level = priorityLevel(event.priority);
  const button = h("button", {
    type: "button",
    class: ["queue-item", event.queue === "escalated" ? "escalated" : null],
    "data-event-id": event.event_id,
    "aria-current": event.event_id === state.selectedId ? "true" : null,
    disabled: state.expired ? true : null,
  },
    h("span", { class: ["badge", "prio", level], title: `Priority ${event.priority} (${level})` }, `P${event.priority}`),
    h("span", { class: "type" }, humanize(event.event_type)),
    h("span", { class: "badge region region-code" }, event.region_code.toUpperCase()),
    event.queue === "escalated" ? h("span", { class: "badge warn flag" }, "Escalated") : null,
    h("span", { class: "meta" }, `${event.device_id || "unknown device"} · ${formatTime(event.occurred_at)} · `, timeAgo(event.occurred_at, serverNow())),
  );
  button.addEventListener("click", () => view.actions.select(event.event_id));
  return h("li", null, button);
}

/** What the queue says when it lists nothing (or is loading); null when it lists events. */
function queueMessage(state) {
  const regions = regionsText();
  if (state.queueState === "loading") return h("p", null, "Loading your queue…");
  if (!state.events.length && !regions) {
    return [h("h3", null, "No region to review"), h("p", { id: "no-region" }, NO_REGION)];
  }
  if (state.queueState === "empty" && state.claimedQueue === "escalated") {
    return [
      h("h3", null, "Nothing escalated"),
      h("p", null, `No reviewer of ${regions} is waiting for a lead's decision right now.`),
      h("button", { class: "button", type: "button", id: "check-again" }, "Check again"),
    ];
  }
  if (state.queueState === "empty") {
    return [
      h("h3", null, "The queue is empty"),
      h("p", null, `No events are waiting in your regions (${regions}) right now. New events arrive all the time; check again in a minute.`),
      h("button", { class: "button", type: "button", id: "check-again" }, "Check again"),
    ];
  }
  if (state.queueState === "none") {
    return [
      h("h3", null, "Nothing held"),
      h("p", null, `Get a batch to start reviewing events from ${regions}.`),
    ];
  }
  if (state.queueState === "done") {
    return [
      h("h3", null, "Batch done"),
      h("p", null, "Every event of this batch is reviewed or skipped. Get the next batch to carry on (n)."),
    ];
  }
  return null;
}

export function renderQueue(view) {
  const { state, ui } = view;
  replace(ui.list, state.events.map((event) => queueItem(view, event)));
  ui.list.hidden = state.events.length === 0;

  const message = queueMessage(state);
  if (message) {
    replace(ui.queueMessage, message);
    const again = ui.queueMessage.querySelector("#check-again");
    if (again) again.addEventListener("click", () => view.actions.nextBatch());
  } else {
    replace(ui.queueMessage);
  }
  ui.queueMessage.hidden = message === null;
  ui.queueFoot.textContent = state.events.length
    ? `${state.events.length} held · j / k to move`
    : `Regions: ${regionsText() || "none yet"}`;
  renderLease(view);
}

export function renderForm(view) {
  const { state, ui } = view;
  const reviewable = selected(state) !== null && !state.expired && view.formView !== null;
  ui.fieldset.disabled = !reviewable || state.busy;
  // An escalated event is the lead's to decide: it goes up no further.
  const event = selected(state);
  ui.escalateButton.hidden = Boolean(event && event.queue === "escalated");
  ui.submitButton.textContent = "";
  ui.submitButton.append(state.busy ? "Submitting…" : "Submit review", h("kbd", { "aria-hidden": "true" }, "Enter"));
}

function placeholder(state) {
  return h("div", { class: "event-placeholder" },
    h("div", null,
      h("h2", { id: "event-title" }, state.events.length ? "Choose an event" : "No event open"),
      h("p", null, state.events.length
        ? "Pick an event from your queue, or press j."
        : "Get a batch from the queue on the left to start reviewing."),
    ),
  );
}

/** Why a reviewer escalated the event, for the lead who holds it now; null for any other event. */
function escalation(event) {
  if (event.queue !== "escalated") return null;
  return h("div", { class: "notice warn escalation", id: "escalation-note" },
    h("div", { class: "notice-body" },
      h("p", { class: "notice-title" },
        `Escalated by ${event.escalated_by || "a reviewer"}`,
        event.escalated_at ? [" · ", timeAgo(event.escalated_at, serverNow())] : null),
      h("p", { class: "escalation-text" }, event.escalation_note || "No note.")));
}

/** The open event's head, and its payload: from memory, or fetched now. */
export function renderEvent(view) {
  const { state, ui } = view;
  const event = selected(state);
  if (!event) {
    replace(ui.eventPanel, placeholder(state));
    return;
  }
  const level = priorityLevel(event.priority);
  const body = h("div", { class: "event-body", id: "event-body" });
  replace(ui.eventPanel,
    h("div", { class: "event-head" },
      h("div", { class: "event-title" },
        h("h2", { id: "event-title" }, humanize(event.event_type)),
        h("span", { class: ["badge", level] }, `Priority ${event.priority}`),
        h("span", { class: "badge region" }, event.region_code.toUpperCase()),
      ),
      h("div", { class: "event-meta" },
        h("span", null, "Device ", h("strong", null, event.device_id || "unknown")),
        h("span", { title: formatDateTime(event.occurred_at) }, "Occurred ", h("strong", null, formatTime(event.occurred_at)), " (", timeAgo(event.occurred_at, serverNow()), ")"),
        h("span", null, "Lease ", h("strong", { id: "event-lease" }, event.lease_expires_at ? formatCountdown(secondsLeft(event.lease_expires_at)) : "—")),
        h("span", { class: "mono subtle", title: "External event id" }, event.external_event_id),
      ),
    ),
    h("div", { class: "scroll" }, escalation(event), body),
  );
  const payload = state.payloads.get(event.event_id);
  if (payload) {
    renderPayload(body, event, payload);
  } else {
    renderPayloadLoading(body, event);
    view.actions.loadPayload(event);
  }
}

export function render(view) {
  renderQueue(view);
  renderEvent(view);
  renderForm(view);
}
