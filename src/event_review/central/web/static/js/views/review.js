// The reviewer's screen: the queue of held events, the event with its
// regional payload, and the review form. Operable entirely from the keyboard.

import { api, serverNow } from "../api.js";
import {
  formatCountdown, formatDateTime, formatTime, h, humanize, notice, priorityLevel,
  relativeTime, replace, toast,
} from "../dom.js";
import { anyDialogOpen, hasModifier, isTyping } from "../keys.js";
import { describe } from "../messages.js";
import { renderPayload, renderPayloadError, renderPayloadLoading } from "../payload.js";
import { session } from "../session.js";

const BATCH_SIZES = [5, 10, 20, 50];
const BATCH_SIZE_KEY = "event-review.batch-size";
const WARN_SECONDS = 120;
const MAX_COMMENT = 4000;

export function mount(container) {
  const state = {
    events: [],
    selectedId: null,
    payloads: new Map(), // event id -> payload, in memory only; dropped when the event leaves
    drafts: new Map(), // event id -> {decision, rating, comment} while moving between events
    payloadRequest: null,
    queueState: "loading", // loading | held | none | empty | expired
    busy: false,
    warned: false,
    expired: false,
  };
  const regions = (session.me.regions || []).map((r) => r.toUpperCase()).join(", ") || "none";

  // ---------- static structure ----------

  const sizeSelect = h("select", { id: "batch-size", name: "size" },
    BATCH_SIZES.map((n) => h("option", { value: n }, String(n))));
  sizeSelect.value = localStorage.getItem(BATCH_SIZE_KEY) || "10";
  if (!sizeSelect.value) sizeSelect.value = "10";
  sizeSelect.addEventListener("change", () => localStorage.setItem(BATCH_SIZE_KEY, sizeSelect.value));
  const batchButton = h("button", { class: "button primary", type: "submit", id: "next-batch" }, "Get next batch");
  const batchForm = h("form", { class: "batch-form", "aria-label": "Claim events" },
    h("div", { class: "field" }, h("label", { for: "batch-size" }, "Batch size"), sizeSelect),
    batchButton,
  );
  batchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    nextBatch();
  });

  const lease = h("span", { class: "lease", id: "lease", hidden: true });
  const leaseNote = h("div", { class: "lease-note", id: "lease-note" });
  const list = h("ol", { class: "queue-list", id: "queue-list", "aria-label": "Events you hold" });
  const queueMessage = h("div", { class: "queue-empty", id: "queue-message" });
  const queueFoot = h("div", { class: "queue-foot", id: "queue-foot" });
  const queuePanel = h("section", { class: "queue-panel", "aria-labelledby": "queue-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "queue-title" }, "Your queue"), lease),
    batchForm,
    leaseNote,
    h("div", { class: "scroll" }, list, queueMessage),
    queueFoot,
  );

  const eventPanel = h("section", { class: "event-panel", "aria-labelledby": "event-title", id: "event-panel" });

  // The review form. Radios keep the state; shortcuts just check them.
  const choice = (group, value, text, key, cls) => {
    const id = `${group}-${value}`;
    return h("div", { class: ["choice", cls] },
      h("input", { type: "radio", name: group, id, value }),
      h("label", { for: id }, text, key ? h("kbd", { "aria-hidden": "true" }, key) : null),
    );
  };
  const comment = h("textarea", { id: "comment", name: "comment", maxlength: MAX_COMMENT, rows: 4, "aria-describedby": "comment-hint comment-count" });
  const counter = h("div", { class: "counter", id: "comment-count", "aria-live": "off" }, `0 / ${MAX_COMMENT}`);
  comment.addEventListener("input", () => {
    counter.textContent = `${comment.value.length} / ${MAX_COMMENT}`;
  });
  const submitButton = h("button", { class: "button primary wide", type: "submit", id: "submit-review" }, "Submit review", h("kbd", { "aria-hidden": "true" }, "Enter"));
  const skipButton = h("button", { class: "button wide", type: "button", id: "skip" }, "Skip", h("kbd", { "aria-hidden": "true" }, "s"));
  const formStatus = h("div", { class: "form-status", id: "form-status", "aria-live": "polite" });
  const fieldset = h("fieldset", { class: "review-fields" });
  const form = h("form", { class: "review-form", id: "review-form", "aria-labelledby": "review-title", novalidate: true },
    h("fieldset", { class: "decision-field" },
      h("legend", null, "Decision"),
      h("div", { class: "choice-group decision" },
        choice("decision", "approve", "Approve", "a", "approve"),
        choice("decision", "reject", "Reject", "r", "reject"),
      ),
    ),
    h("fieldset", { class: "rating-field" },
      h("legend", null, "Rating"),
      h("div", { class: "choice-group rating" },
        [1, 2, 3, 4, 5].map((n) => choice("rating", String(n), String(n), null, "stars"))),
      h("div", { class: "rating-scale", "aria-hidden": "true" }, h("span", null, "1 · low"), h("span", null, "5 · high")),
    ),
    h("div", { class: "field wide-field" },
      h("label", { for: "comment" }, "Comment ", h("span", { class: "hint", id: "comment-hint" }, "optional · Ctrl+Enter submits")),
      comment,
      counter,
    ),
    formStatus,
    h("div", { class: "form-actions" }, submitButton, skipButton),
  );
  // Everything in the form is disabled at once when there is nothing to review.
  fieldset.append(...form.childNodes);
  form.append(fieldset);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitReview();
  });
  skipButton.addEventListener("click", () => skip());

  const reviewPanel = h("aside", { class: "review-panel", "aria-labelledby": "review-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "review-title" }, "Your review")),
    h("div", { class: "scroll" }, form,
      h("p", { class: "review-hint panel-body" }, "Press ", h("kbd", null, "?"), " for all keyboard shortcuts.")),
  );

  container.append(h("div", { class: "review-layout" }, queuePanel, eventPanel, reviewPanel));

  // ---------- helpers ----------

  const selected = () => state.events.find((e) => e.event_id === state.selectedId) || null;
  const selectedIndex = () => state.events.findIndex((e) => e.event_id === state.selectedId);
  const secondsLeft = (iso) => (new Date(iso).getTime() - serverNow()) / 1000;
  const earliestLease = () => {
    const leases = state.events.map((e) => e.lease_expires_at).filter(Boolean).map((iso) => new Date(iso).getTime());
    return leases.length ? Math.min(...leases) : null;
  };

  function readForm() {
    return {
      decision: form.elements.decision.value || null,
      rating: form.elements.rating.value ? Number(form.elements.rating.value) : null,
      comment: comment.value,
    };
  }

  function writeForm(draft) {
    form.elements.decision.value = draft ? draft.decision || "" : "";
    form.elements.rating.value = draft && draft.rating ? String(draft.rating) : "";
    if (!draft || !draft.decision) for (const r of form.querySelectorAll("input[name=decision]")) r.checked = false;
    if (!draft || !draft.rating) for (const r of form.querySelectorAll("input[name=rating]")) r.checked = false;
    comment.value = draft ? draft.comment || "" : "";
    counter.textContent = `${comment.value.length} / ${MAX_COMMENT}`;
    replace(formStatus);
  }

  function setStatus(kind, title, text) {
    replace(formStatus, notice(kind, title, text));
  }

  // ---------- rendering ----------

  function renderQueue() {
    replace(list, state.events.map((event) => {
      const level = priorityLevel(event.priority);
      const button = h("button", {
        type: "button",
        class: "queue-item",
        "data-event-id": event.event_id,
        "aria-current": event.event_id === state.selectedId ? "true" : null,
        disabled: state.expired ? true : null,
      },
        h("span", { class: ["badge", "prio", level], title: `Priority ${event.priority} (${level})` }, `P${event.priority}`),
        h("span", { class: "type" }, humanize(event.event_type)),
        h("span", { class: "badge region region-code" }, event.region_code.toUpperCase()),
        h("span", { class: "meta" }, `${event.device_id || "unknown device"} · ${formatTime(event.occurred_at)} · ${relativeTime(event.occurred_at, serverNow())}`),
      );
      button.addEventListener("click", () => select(event.event_id));
      return h("li", null, button);
    }));
    list.hidden = state.events.length === 0;

    let message = null;
    if (state.queueState === "loading") {
      message = h("p", null, "Loading your queue…");
    } else if (state.queueState === "empty") {
      const why = session.me.regions && session.me.regions.length
        ? `No events are waiting in your regions (${regions}) right now. New events arrive all the time; check again in a minute.`
        : "Your team reviews no region yet. Ask an admin to map a region to your team.";
      message = [
        h("h3", null, "The queue is empty"),
        h("p", null, why),
        h("button", { class: "button", type: "button", id: "check-again" }, "Check again"),
      ];
    } else if (state.queueState === "none") {
      message = [
        h("h3", null, "Nothing held"),
        h("p", null, `Get a batch to start reviewing events from ${regions}.`),
      ];
    } else if (state.queueState === "done") {
      message = [
        h("h3", null, "Batch done"),
        h("p", null, "Every event of this batch is reviewed or skipped. Get the next batch to carry on (n)."),
      ];
    }
    if (message) {
      replace(queueMessage, message);
      const again = queueMessage.querySelector("#check-again");
      if (again) again.addEventListener("click", () => nextBatch());
    } else {
      replace(queueMessage);
    }
    queueMessage.hidden = message === null;
    queueFoot.textContent = state.events.length
      ? `${state.events.length} held · j / k to move`
      : `Regions: ${regions}`;
    renderLease();
  }

  function renderLease() {
    const earliest = earliestLease();
    if (earliest === null) {
      lease.hidden = true;
      replace(leaseNote);
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
        "The events you did not review go back to the queue for others. Get a new batch to continue.",
        [h("button", { class: "button small", type: "button", id: "expired-next" }, "Get next batch")]));
      leaseNote.querySelector("#expired-next").addEventListener("click", () => nextBatch());
      renderQueue();
      renderForm();
    } else if (left > 0 && left <= WARN_SECONDS && !state.warned) {
      state.warned = true;
      replace(leaseNote, notice("warn", "Less than two minutes left.",
        "Submit or skip what you can; unreviewed events then go back to the queue."));
    } else if (left > WARN_SECONDS && (state.warned || state.expired)) {
      state.warned = false;
      state.expired = false;
      replace(leaseNote);
    }
    const current = selected();
    const eventLease = eventPanel.querySelector("#event-lease");
    if (current && eventLease && current.lease_expires_at) {
      const own = secondsLeft(current.lease_expires_at);
      eventLease.textContent = own <= 0 ? "expired" : formatCountdown(own);
    }
  }

  function renderForm() {
    const reviewable = selected() !== null && !state.expired;
    fieldset.disabled = !reviewable || state.busy;
    submitButton.textContent = "";
    submitButton.append(state.busy ? "Submitting…" : "Submit review", h("kbd", { "aria-hidden": "true" }, "Enter"));
  }

  function renderEvent() {
    const event = selected();
    if (!event) {
      replace(eventPanel,
        h("div", { class: "event-placeholder" },
          h("div", null,
            h("h2", { id: "event-title" }, state.events.length ? "Choose an event" : "No event open"),
            h("p", null, state.events.length
              ? "Pick an event from your queue, or press j."
              : "Get a batch from the queue on the left to start reviewing."),
          ),
        ),
      );
      return;
    }
    const level = priorityLevel(event.priority);
    const body = h("div", { class: "event-body", id: "event-body" });
    replace(eventPanel,
      h("div", { class: "event-head" },
        h("div", { class: "event-title" },
          h("h2", { id: "event-title" }, humanize(event.event_type)),
          h("span", { class: ["badge", level] }, `Priority ${event.priority}`),
          h("span", { class: "badge region" }, event.region_code.toUpperCase()),
        ),
        h("div", { class: "event-meta" },
          h("span", null, "Device ", h("strong", null, event.device_id || "unknown")),
          h("span", { title: formatDateTime(event.occurred_at) }, "Occurred ", h("strong", null, formatTime(event.occurred_at)), ` (${relativeTime(event.occurred_at, serverNow())})`),
          h("span", null, "Lease ", h("strong", { id: "event-lease" }, event.lease_expires_at ? formatCountdown(secondsLeft(event.lease_expires_at)) : "—")),
          h("span", { class: "mono subtle", title: "External event id" }, event.external_event_id),
        ),
      ),
      h("div", { class: "scroll" }, body),
    );
    const payload = state.payloads.get(event.event_id);
    if (payload) {
      renderPayload(body, event, payload);
    } else {
      renderPayloadLoading(body, event);
      loadPayload(event);
    }
  }

  function render() {
    renderQueue();
    renderEvent();
    renderForm();
  }

  // ---------- actions ----------

  async function loadPayload(event) {
    if (state.payloadRequest) state.payloadRequest.abort();
    const request = new AbortController();
    state.payloadRequest = request;
    try {
      const payload = await api(`/api/v1/events/${event.event_id}/payload`, { signal: request.signal });
      if (request.signal.aborted || state.selectedId !== event.event_id) return;
      state.payloads.set(event.event_id, payload);
      renderPayload(eventPanel.querySelector("#event-body"), event, payload);
    } catch (error) {
      if (error.name === "AbortError" || state.selectedId !== event.event_id) return;
      const message = describe(error, { region: event.region_code });
      if (message.gone) {
        drop(event.event_id);
        toast(`${message.title} ${message.text}`, "warn", 7000);
        return;
      }
      const body = eventPanel.querySelector("#event-body");
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
    if (state.selectedId) state.drafts.set(state.selectedId, readForm());
    state.selectedId = eventId;
    writeForm(state.drafts.get(eventId));
    renderQueue();
    renderEvent();
    renderForm();
    const item = list.querySelector(`[data-event-id="${eventId}"]`);
    if (item) item.scrollIntoView({ block: "nearest" });
  }

  /**
   * Put keyboard focus on the open event's queue item, unless the reviewer is
   * busy elsewhere. Otherwise focus stays on a button just clicked ("Get next
   * batch") and Enter would press that button instead of submitting.
   */
  function focusSelected() {
    const active = document.activeElement;
    const idle = !active || active === document.body || active === batchButton
      || (active.closest && active.closest(".queue-list, .review-panel") && !isTyping(active));
    if (!idle) return;
    const item = list.querySelector('[aria-current="true"]');
    if (item) item.focus();
  }

  function move(step) {
    if (!state.events.length || state.expired) return;
    const index = selectedIndex();
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
      writeForm(null);
      if (next) {
        select(next.event_id);
        focusSelected();
        return;
      }
      state.queueState = "done";
    }
    render();
    if (!state.events.length) batchButton.focus();
  }

  function showBatch(batch, { claimed }) {
    state.events = batch.events;
    state.payloads.clear();
    state.drafts.clear();
    state.warned = false;
    state.expired = false;
    replace(leaseNote);
    state.selectedId = null;
    writeForm(null);
    state.queueState = batch.events.length ? "held" : claimed ? "empty" : "none";
    render();
    if (batch.events.length) {
      select(batch.events[0].event_id);
      focusSelected();
    }
  }

  async function loadHeld() {
    try {
      showBatch(await api("/api/v1/assignments"), { claimed: false });
    } catch (error) {
      state.queueState = "none";
      render();
      const message = describe(error);
      replace(leaseNote, notice("error", message.title, message.text));
    }
  }

  async function nextBatch() {
    if (state.busy) return;
    const holding = state.events.length > 0 && !state.expired;
    state.busy = true;
    batchButton.disabled = true;
    batchButton.textContent = "Getting events…";
    try {
      const batch = await api("/api/v1/assignments/next-batch", {
        method: "POST",
        body: { size: Number(sizeSelect.value) },
      });
      showBatch(batch, { claimed: true });
      if (holding && batch.events.length) {
        toast(`You still hold ${batch.events.length} event${batch.events.length === 1 ? "" : "s"}. Review or skip them to get new ones.`, "info");
      } else if (batch.events.length) {
        toast(`${batch.events.length} event${batch.events.length === 1 ? "" : "s"} claimed.`, "ok");
      }
    } catch (error) {
      const message = describe(error);
      replace(leaseNote, notice("error", message.title, message.text));
    } finally {
      state.busy = false;
      batchButton.disabled = false;
      batchButton.textContent = "Get next batch";
      renderForm();
    }
  }

  async function submitReview() {
    const event = selected();
    if (!event || state.busy || state.expired) return;
    const { decision, rating, comment: text } = readForm();
    if (!decision || !rating) {
      const missing = [!decision ? "approve or reject (a / r)" : null, !rating ? "a rating (1–5)" : null].filter(Boolean);
      setStatus("warn", null, `Choose ${missing.join(" and ")} first.`);
      return;
    }
    state.busy = true;
    renderForm();
    try {
      await api(`/api/v1/events/${event.event_id}/review`, {
        method: "POST",
        body: { decision, rating, comment: text.trim() ? text.trim() : null },
      });
      toast(`${decision === "approve" ? "Approved" : "Rejected"} with rating ${rating}. It is on its way to ${event.region_code.toUpperCase()}.`, "ok");
      state.busy = false;
      drop(event.event_id);
    } catch (error) {
      state.busy = false;
      const message = describe(error, { region: event.region_code });
      if (message.gone) {
        drop(event.event_id);
        toast(`${message.title} ${message.text}`, "warn", 7000);
      } else {
        renderForm();
        setStatus("error", message.title, message.text);
      }
    } finally {
      renderForm();
    }
  }

  async function skip() {
    const event = selected();
    if (!event || state.busy) return;
    state.busy = true;
    renderForm();
    try {
      await api(`/api/v1/events/${event.event_id}/release`, { method: "POST" });
      state.busy = false;
      toast("Skipped. The event went back to the queue.", "info");
      drop(event.event_id);
    } catch (error) {
      state.busy = false;
      const message = describe(error, { region: event.region_code });
      if (message.gone) {
        drop(event.event_id);
        toast(`${message.title} ${message.text}`, "warn", 7000);
      } else {
        setStatus("error", message.title, message.text);
      }
    } finally {
      renderForm();
    }
  }

  function check(name, value) {
    if (fieldset.disabled) return;
    const input = form.querySelector(`input[name="${name}"][value="${value}"]`);
    if (input) {
      input.checked = true;
      // Focus follows the choice: the reviewer sees where they are, and Enter
      // submits from there even if a button or link had focus before.
      input.focus();
      replace(formStatus);
    }
  }

  // ---------- keyboard ----------

  function onKeyDown(event) {
    if (anyDialogOpen() || event.defaultPrevented) return;
    const target = event.target;
    if (event.key === "Enter") {
      if (target === comment) {
        if (event.ctrlKey || event.metaKey) {
          event.preventDefault();
          submitReview();
        }
        return;
      }
      if (hasModifier(event) || isTyping(target)) return;
      // Buttons and links do their own thing on Enter; queue items and the
      // decision/rating radios do not need to, so Enter submits from there.
      const control = target instanceof Element ? target.closest("button, a, summary") : null;
      if (control && !control.classList.contains("queue-item")) return;
      event.preventDefault();
      submitReview();
      return;
    }
    if (event.key === "Escape" && target === comment) {
      comment.blur();
      return;
    }
    if (hasModifier(event) || isTyping(target)) return;
    const actions = {
      j: () => move(1),
      k: () => move(-1),
      a: () => check("decision", "approve"),
      r: () => check("decision", "reject"),
      s: () => skip(),
      n: () => nextBatch(),
      c: () => { if (!fieldset.disabled) comment.focus(); },
    };
    let action = actions[event.key];
    if (!action && /^[1-5]$/.test(event.key)) action = () => check("rating", event.key);
    if (!action) return;
    event.preventDefault();
    action();
  }

  document.addEventListener("keydown", onKeyDown);
  const ticker = setInterval(renderLease, 1000);
  render();
  loadHeld();

  return () => {
    document.removeEventListener("keydown", onKeyDown);
    clearInterval(ticker);
    if (state.payloadRequest) state.payloadRequest.abort();
    state.payloads.clear();
  };
}
