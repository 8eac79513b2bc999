// Webhooks: receivers admins register for what happens to reviews. The signing
// secret is shown once, when a webhook is added or its secret renewed. Each
// webhook's deliveries are listed here; parked ones wait for an admin's retry.

import { api, query } from "../api.js";
import { confirmDialog, copyText, formatDateTime, h, notice, replace, toast } from "../dom.js";
import { busy, errorNotice, fetchAll, field, messageRow, onSubmit, pageHead, pager, PAGE_SIZE, table } from "./common.js";

const KINDS = [
  ["review.created", "Review submitted"],
  ["review.corrected", "Review corrected"],
  ["qa.disagreement", "QA disagreement"],
  ["event.escalated", "Event escalated"],
  ["writeback.parked", "Write-back parked"],
  ["sla.breached", "SLA breached"],
];
const STATUSES = [["", "All"], ["failed", "Failed"], ["pending", "Pending"], ["delivered", "Delivered"]];

function list(text) {
  return text.split(",").map((part) => part.trim()).filter(Boolean);
}

function secretBox(title, secret) {
  const copy = h("button", { class: "button small", type: "button" }, "Copy");
  copy.addEventListener("click", () => copyText(secret, "Signing secret copied"));
  return notice("warn", title, "Give it to the receiver now, to verify signatures with: it is shown only once and cannot be read again.", [
    h("div", { class: "secret", id: "webhook-secret" }, h("code", null, secret), copy),
  ]);
}

function filters(hook) {
  const regions = hook.regions.length ? hook.regions.map((r) => r.toUpperCase()).join(", ") : "every region";
  const types = hook.event_types.length ? hook.event_types.join(", ") : "every event type";
  return `${regions} · ${types}`;
}

export function mount(container) {
  const status = h("div", { id: "webhooks-status" });
  const body = h("tbody", null, messageRow(6, "Loading…"));
  const deliveries = h("div", { id: "webhook-deliveries" });

  const url = h("input", { type: "url", required: true, maxlength: 2048, placeholder: "https://hooks.example.com/event-review" });
  const description = h("input", { type: "text", maxlength: 200, placeholder: "e.g. Ops pager" });
  const regions = h("input", { type: "text", maxlength: 400, placeholder: "eu, us", autocapitalize: "none" });
  const eventTypes = h("input", { type: "text", maxlength: 1000, placeholder: "collision", autocapitalize: "none" });
  const kinds = KINDS.map(([value, label]) => {
    const box = h("input", { type: "checkbox", value, id: `kind-${value.replace(".", "-")}`, checked: value === "review.created" ? true : null });
    return { box, label: h("label", { for: box.id }, box, label) };
  });
  const addForm = h("form", { class: "card-body stack", id: "add-webhook" },
    h("div", { class: "row" },
      field("webhook-url", "Receiver URL", url),
      field("webhook-description", "Description", description, "optional")),
    h("fieldset", { class: "search-checks" },
      h("legend", null, "Announce"),
      h("div", { class: "checks" }, kinds.map((k) => k.label))),
    h("div", { class: "row" },
      field("webhook-regions", "Regions", regions, "comma-separated; empty: all"),
      field("webhook-event-types", "Event types", eventTypes, "comma-separated; empty: all"),
      h("button", { class: "button primary", type: "submit" }, "Add webhook")),
  );
  onSubmit(addForm, status, async () => {
    const chosen = kinds.filter((k) => k.box.checked).map((k) => k.box.value);
    const created = await api("/api/v1/admin/webhooks", {
      method: "POST",
      body: {
        url: url.value.trim(),
        description: description.value.trim(),
        kinds: chosen,
        regions: list(regions.value),
        event_types: list(eventTypes.value),
      },
    });
    replace(status, secretBox(`Webhook to ${created.url} added. Its signing secret:`, created.secret));
    addForm.reset();
    load();
  });

  container.append(h("div", { class: "page" },
    pageHead("Webhooks", "Receivers get a signed JSON body for what happens to reviews: ids and metadata, never payloads or what reviewers typed."),
    status,
    h("div", { class: "stack" },
      h("section", { class: "card", "aria-labelledby": "add-webhook-title" },
        h("div", { class: "card-head" }, h("h2", { id: "add-webhook-title" }, "Add a webhook")), addForm),
      h("section", { class: "card" },
        table("webhooks-table", ["Receiver", "Announces", "Filters", "State", "Added", ""], body)),
      deliveries,
    ),
  ));

  async function act(row, work) {
    await busy(row, async () => {
      try {
        await work();
      } catch (error) {
        replace(status, errorNotice(error));
      }
    });
  }

  function actions(hook, row) {
    const toggle = h("button", { class: "button small", type: "button" }, hook.active ? "Pause" : "Resume");
    const show = h("button", { class: "button small", type: "button", "aria-label": `Deliveries of ${hook.url}` }, "Deliveries");
    const rotate = h("button", { class: "button small", type: "button" }, "New secret");
    const remove = h("button", { class: "button small danger", type: "button", "aria-label": `Delete webhook to ${hook.url}` }, "Delete");
    toggle.addEventListener("click", () => act(row, async () => {
      await api(`/api/v1/admin/webhooks/${hook.webhook_id}`, { method: "PATCH", body: { active: !hook.active } });
      toast(hook.active ? "Webhook paused: its deliveries wait." : "Webhook active again.", "ok");
      load();
    }));
    show.addEventListener("click", () => showDeliveries(hook));
    rotate.addEventListener("click", () => act(row, async () => {
      if (!await confirmDialog({ title: "Renew the signing secret?", text: "The old secret stops working at once: the receiver needs the new one to verify what comes next.", confirm: "Renew secret" })) return;
      const rotated = await api(`/api/v1/admin/webhooks/${hook.webhook_id}/rotate-secret`, { method: "POST" });
      replace(status, secretBox(`New signing secret for ${hook.url}:`, rotated.secret));
    }));
    remove.addEventListener("click", () => act(row, async () => {
      if (!await confirmDialog({ title: "Delete this webhook?", text: `${hook.url} gets nothing more; its waiting deliveries are dropped.`, confirm: "Delete", danger: true })) return;
      await api(`/api/v1/admin/webhooks/${hook.webhook_id}`, { method: "DELETE" });
      toast("Webhook deleted.", "ok");
      replace(deliveries);
      load();
    }));
    return [toggle, show, rotate, remove];
  }

  function showDeliveries(hook) {
    const state = { status: "", offset: 0 };
    const select = h("select", { id: "delivery-status" }, STATUSES.map(([value, text]) => h("option", { value }, text)));
    const rows = h("tbody", null, messageRow(7, "Loading…"));
    const foot = h("div");
    select.addEventListener("change", () => { state.status = select.value; state.offset = 0; loadDeliveries(); });
    replace(deliveries, h("section", { class: "card", "aria-labelledby": "deliveries-title" },
      h("div", { class: "card-head" }, h("h2", { id: "deliveries-title" }, `Deliveries to ${hook.url}`)),
      h("div", { class: "filters" }, h("div", { class: "field" }, h("label", { for: "delivery-status" }, "Status"), select)),
      table("webhook-deliveries-table", ["Kind", "Event", ["Attempts", "num"], "Last answer", "Created", "State", ""], rows),
      foot,
    ));

    async function retry(delivery, button) {
      await busy(button.closest("tr"), async () => {
        try {
          await api(`/api/v1/admin/webhook-deliveries/${delivery.delivery_id}/retry`, { method: "POST" });
          toast("Retry scheduled; the worker picks it up within seconds.", "ok");
          loadDeliveries();
        } catch (error) {
          replace(status, errorNotice(error));
        }
      });
    }

    async function loadDeliveries() {
      try {
        const page = await api(`/api/v1/admin/webhooks/${hook.webhook_id}/deliveries${query({ status: state.status, limit: PAGE_SIZE, offset: state.offset })}`);
        replace(rows, page.items.length
          ? page.items.map((delivery) => {
              let action = null;
              if (delivery.status !== "delivered") {
                action = h("button", { class: "button small", type: "button", "data-delivery-id": delivery.delivery_id }, delivery.status === "failed" ? "Retry" : "Retry now");
                action.addEventListener("click", () => retry(delivery, action));
              }
              const answer = delivery.last_error || (delivery.last_status_code ? `HTTP ${delivery.last_status_code}` : null);
              return h("tr", { "data-delivery-id": delivery.delivery_id },
                h("td", null, h("span", { class: "mono" }, delivery.kind)),
                h("td", null, delivery.event_id ? h("a", { class: "mono", href: `#/events/${delivery.event_id}` }, delivery.event_id) : h("span", { class: "subtle" }, "—")),
                h("td", { class: "num" }, String(delivery.attempts)),
                h("td", null, answer ? h("span", { class: delivery.status === "delivered" ? null : "error-text" }, answer) : h("span", { class: "subtle" }, "—")),
                h("td", { class: "nowrap" }, formatDateTime(delivery.created_at)),
                h("td", null, delivery.status === "delivered"
                  ? h("span", { class: "badge ok" }, "Delivered")
                  : delivery.status === "failed"
                    ? h("span", { class: "badge error" }, "Parked")
                    : h("span", { class: "subtle" }, `next ${formatDateTime(delivery.next_attempt_at)}`)),
                h("td", { class: "actions" }, action),
              );
            })
          : messageRow(7, "No deliveries here."));
        replace(foot, pager(state, loadDeliveries, { count: page.items.length, hasMore: page.has_more }));
      } catch (error) {
        if (error.status !== 401) replace(status, errorNotice(error));
      }
    }

    loadDeliveries();
  }

  async function load() {
    try {
      const hooks = await fetchAll("/api/v1/admin/webhooks", { api });
      replace(body, hooks.length
        ? hooks.map((hook) => {
            const row = h("tr", { "data-webhook-id": hook.webhook_id },
              h("th", { scope: "row" }, h("span", { class: "mono" }, hook.url),
                hook.description ? h("div", { class: "subtle" }, hook.description) : null),
              h("td", null, hook.kinds.join(", ")),
              h("td", null, filters(hook)),
              h("td", null, hook.active ? h("span", { class: "badge ok" }, "Active") : h("span", { class: "badge" }, "Paused")),
              h("td", { class: "nowrap" }, formatDateTime(hook.created_at)),
              h("td", { class: "actions" }),
            );
            row.lastChild.append(...actions(hook, row));
            return row;
          })
        : messageRow(6, "No webhooks yet."));
    } catch (error) {
      if (error.status !== 401) replace(status, errorNotice(error));
    }
  }

  load();
  return () => {};
}
