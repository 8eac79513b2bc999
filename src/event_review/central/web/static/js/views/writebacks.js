// Write-backs: review outcomes on their way to the regions. Failed ones were
// parked after too many attempts; an admin retries them once the region is back.

import { api, query } from "../api.js";
import { formatDateTime, h, replace, toast } from "../dom.js";
import { busy, errorNotice, messageRow, pageHead, pager, PAGE_SIZE, table } from "./common.js";

const STATUSES = [["failed", "Failed"], ["pending", "Pending"], ["delivered", "Delivered"], ["", "All"]];

export function mount(container) {
  const state = { status: "failed", offset: 0 };
  const select = h("select", { id: "writeback-status" }, STATUSES.map(([value, text]) => h("option", { value }, text)));
  select.value = state.status;
  const refreshButton = h("button", { class: "button", type: "button" }, "Refresh");
  const status = h("div", { id: "writebacks-status" });
  const body = h("tbody", null, messageRow(7, "Loading…"));
  const foot = h("div");

  select.addEventListener("change", () => {
    state.status = select.value;
    state.offset = 0;
    load();
  });
  refreshButton.addEventListener("click", () => load());

  container.append(h("div", { class: "page" },
    pageHead("Write-backs", "Reviews are delivered to their region by a worker that retries with backoff. Failed ones wait here for a retry."),
    status,
    h("section", { class: "card" },
      h("div", { class: "filters" },
        h("div", { class: "field" }, h("label", { for: "writeback-status" }, "Status"), select),
        refreshButton),
      table("writeback-table",
        ["Event", "Region", ["Attempts", "num"], "Last error", "Reviewed", "Next attempt", ""],
        body),
      foot,
    ),
  ));

  async function retry(row, button) {
    await busy(button.closest("tr"), async () => {
      try {
        await api(`/api/v1/admin/writebacks/${row.outbox_id}/retry`, { method: "POST" });
        toast(`Retry scheduled for ${row.external_event_id}; the worker picks it up within seconds.`, "ok");
        load();
      } catch (error) {
        replace(status, errorNotice(error, { region: row.region_code }));
      }
    });
  }

  async function load() {
    try {
      const page = await api(`/api/v1/admin/writebacks${query({ status: state.status, limit: PAGE_SIZE, offset: state.offset })}`);
      replace(status);
      replace(body, page.items.length
        ? page.items.map((row) => {
            const action = row.status === "delivered"
              ? h("span", { class: "badge ok" }, "Delivered")
              : h("button", { class: "button small", type: "button", "data-outbox-id": row.outbox_id }, row.status === "failed" ? "Retry" : "Retry now");
            if (action.tagName === "BUTTON") action.addEventListener("click", () => retry(row, action));
            return h("tr", { "data-outbox-id": row.outbox_id },
              h("td", null, h("span", { class: "mono" }, row.external_event_id),
                h("div", { class: "subtle mono" }, row.event_id)),
              h("td", null, h("span", { class: "badge region" }, row.region_code.toUpperCase())),
              h("td", { class: "num" }, String(row.attempts)),
              h("td", null, row.last_error ? h("span", { class: "error-text" }, row.last_error) : h("span", { class: "subtle" }, "—")),
              h("td", { class: "nowrap" }, formatDateTime(row.created_at)),
              h("td", { class: "nowrap" }, row.status === "pending"
                ? formatDateTime(row.next_attempt_at)
                : row.status === "failed"
                  ? h("span", { class: "badge error" }, "waits for a retry")
                  : h("span", { class: "subtle" }, `delivered ${formatDateTime(row.delivered_at)}`)),
              h("td", { class: "actions" }, action),
            );
          })
        : messageRow(7, state.status === "failed" ? "No failed write-backs. Every review reached its region or is still on its way." : "Nothing here."));
      replace(foot, pager(state, load, { count: page.items.length, hasMore: page.items.length === PAGE_SIZE }));
    } catch (error) {
      if (error.status !== 401) replace(status, errorNotice(error));
    }
  }

  load();
  return () => {};
}
