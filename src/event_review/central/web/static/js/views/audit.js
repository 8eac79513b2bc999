// The audit log: who did what to which event, when. Filter by action, actor,
// event id and time; newest first, paged by cursor.

import { api, query } from "../api.js";
import { formatDateTime, h, replace } from "../dom.js";
import { cursorPager, errorNotice, messageRow, pageHead, PAGE_SIZE, table } from "./common.js";

const ACTIONS = [
  "auth.login", "auth.logout", "auth.refresh_reuse_detected", "event.", "event.ingested",
  "event.assigned", "event.lease_extended", "event.skipped", "event.released", "event.escalated",
  "event.payload_viewed", "event.review_text_viewed", "event.reviewed", "event.corrected",
  "event.completed", "event.requeued", "event.purged", "qa.", "qa.assigned", "qa.verdict",
  "form.applied", "writeback.failed", "writeback.retried", "region.", "team.", "user.",
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A datetime-local value (the browser's own time) as an instant the API takes, or "". */
function instant(local) {
  return local ? new Date(local).toISOString() : "";
}

function details(value) {
  const entries = Object.entries(value || {});
  if (!entries.length) return h("span", { class: "subtle" }, "—");
  return h("span", { class: "mono" }, entries.map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join("  "));
}

export function mount(container) {
  const state = { action: "", actor: "", event_id: "", from: "", until: "", cursors: [null] };
  const action = h("input", { id: "audit-action", type: "text", list: "audit-actions", placeholder: "e.g. event.reviewed", autocomplete: "off" });
  const actor = h("input", { id: "audit-actor", type: "text", placeholder: "a username", autocomplete: "off", autocapitalize: "none" });
  const eventId = h("input", { id: "audit-event", type: "text", placeholder: "event UUID", autocomplete: "off", spellcheck: "false" });
  const from = h("input", { id: "audit-from", type: "datetime-local", step: "1" });
  const until = h("input", { id: "audit-until", type: "datetime-local", step: "1" });
  const status = h("div", { id: "audit-status" });
  const body = h("tbody", null, messageRow(5, "Loading…"));
  const foot = h("div");

  const form = h("form", { class: "filters", "aria-label": "Filter the audit log" },
    h("div", { class: "field" }, h("label", { for: "audit-action" }, "Action ", h("span", { class: "hint" }, "end with . for a family")), action,
      h("datalist", { id: "audit-actions" }, ACTIONS.map((a) => h("option", { value: a })))),
    h("div", { class: "field" }, h("label", { for: "audit-actor" }, "Actor"), actor),
    h("div", { class: "field" }, h("label", { for: "audit-event" }, "Event id"), eventId),
    h("div", { class: "field" }, h("label", { for: "audit-from" }, "From ", h("span", { class: "hint" }, "your time")), from),
    h("div", { class: "field" }, h("label", { for: "audit-until" }, "Until ", h("span", { class: "hint" }, "not included")), until),
    h("button", { class: "button primary", type: "submit" }, "Filter"),
    h("button", { class: "button", type: "reset" }, "Clear"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = eventId.value.trim();
    if (id && !UUID.test(id)) {
      eventId.setAttribute("aria-invalid", "true");
      replace(status, errorNotice({ code: "validation_error", message: "the event id must be a UUID, like 3f2b1c9e-…", details: [{ loc: ["event_id"] }] }));
      eventId.focus();
      return;
    }
    eventId.removeAttribute("aria-invalid");
    Object.assign(state, {
      action: action.value.trim(), actor: actor.value.trim().toLowerCase(), event_id: id,
      from: instant(from.value), until: instant(until.value), cursors: [null],
    });
    load();
  });
  form.addEventListener("reset", () => {
    Object.assign(state, { action: "", actor: "", event_id: "", from: "", until: "", cursors: [null] });
    eventId.removeAttribute("aria-invalid");
    setTimeout(load);
  });

  container.append(h("div", { class: "page" },
    pageHead("Audit log", "Every state change: who, what, which event and when. Never payload content."),
    status,
    h("section", { class: "card" },
      form,
      table("audit-table", ["Time", "Actor", "Action", "Event", "Details"], body),
      foot,
    ),
  ));

  function filterBy(field, value) {
    ({ actor, event_id: eventId, action })[field].value = value;
    state[field] = value;
    state.cursors = [null];
    load();
  }

  async function load() {
    try {
      const page = await api(`/api/v1/admin/audit${query({
        action: state.action, actor: state.actor, event_id: state.event_id,
        occurred_from: state.from, occurred_until: state.until,
        limit: PAGE_SIZE, cursor: state.cursors[state.cursors.length - 1],
      })}`);
      replace(status);
      replace(body, page.items.length
        ? page.items.map((entry) => {
            const actorLink = h("button", { class: "button ghost small", type: "button", title: "Show only this actor" }, entry.actor);
            actorLink.addEventListener("click", () => filterBy("actor", entry.actor));
            let eventCell = h("span", { class: "subtle" }, "—");
            if (entry.event_id) {
              eventCell = h("button", { class: "button ghost small mono", type: "button", title: "Show only this event" }, entry.event_id.slice(0, 8) + "…");
              eventCell.addEventListener("click", () => filterBy("event_id", entry.event_id));
            }
            return h("tr", null,
              h("td", { class: "nowrap" }, formatDateTime(entry.occurred_at)),
              h("td", null, actorLink, h("span", { class: "subtle" }, ` ${entry.actor_type}`)),
              h("td", null, h("span", { class: "mono" }, entry.action)),
              h("td", null, eventCell),
              h("td", null, details(entry.details)),
            );
          })
        : messageRow(5, "No entries match these filters."));
      replace(foot, cursorPager(state, load, { count: page.items.length, nextCursor: page.next_cursor }));
    } catch (error) {
      if (error.status !== 401) replace(status, errorNotice(error));
    }
  }

  load();
  return () => {};
}
