// Regions: where events come from and where their payloads stay. Admins add
// regions (the ingest key is shown once), change the API URL, retention and
// where typed review text is kept, and issue new ingest keys. Leads see the list.

import { api } from "../api.js";
import { copyText, formatDateTime, h, notice, replace } from "../dom.js";
import { session } from "../session.js";
import { editableRow, errorNotice, fetchAll, field, messageRow, onSubmit, pageHead, table } from "./common.js";

const POLICIES = [
  ["keep", "Keep"],
  ["delete_on_complete", "Delete when completed"],
  ["purge_after_days", "Purge after N days"],
];

const TEXT_POLICIES = [
  ["central", "Kept centrally"],
  ["regional", "Kept in the region"],
];

function reviewTextText(region) {
  return (TEXT_POLICIES.find(([value]) => value === region.review_text) || [null, region.review_text])[1];
}

function retentionText(region) {
  if (region.retention_policy === "purge_after_days") return `Purge after ${region.retention_days} days`;
  return (POLICIES.find(([value]) => value === region.retention_policy) || [null, region.retention_policy])[1];
}

function secretBox(title, code, key) {
  const copy = h("button", { class: "button small", type: "button" }, "Copy");
  copy.addEventListener("click", () => copyText(key, "Ingest key copied"));
  return notice("warn", title, `Give it to the ${code.toUpperCase()} forwarder now: it is shown only once and cannot be read again.`, [
    h("div", { class: "secret", id: "ingest-key" }, h("code", null, key), copy),
  ]);
}

export function mount(container) {
  const admin = session.hasRole("admin");
  const status = h("div", { id: "regions-status" });
  const body = h("tbody", null, messageRow(6, "Loading…"));

  const code = h("input", { type: "text", required: true, maxlength: 16, autocapitalize: "none", placeholder: "e.g. jp" });
  const url = h("input", { type: "url", required: true, maxlength: 2048, placeholder: "https://jp.example.com" });
  const addForm = h("form", { class: "card-body row", id: "add-region" },
    field("region-code", "Code", code, "2–16 characters"),
    field("region-url", "Regional API URL", url),
    h("button", { class: "button primary", type: "submit" }, "Add region"),
  );
  onSubmit(addForm, status, async () => {
    const created = await api("/api/v1/admin/regions", { method: "POST", body: { code: code.value.trim(), api_url: url.value.trim() } });
    replace(status, secretBox(`Region ${created.code.toUpperCase()} added. Its ingest key:`, created.code, created.ingest_key));
    addForm.reset();
    load();
  });

  container.append(h("div", { class: "page" },
    pageHead("Regions", "Each region keeps its events' payloads; the centre holds metadata only."),
    status,
    h("div", { class: "stack" },
      admin ? h("section", { class: "card", "aria-labelledby": "add-region-title" },
        h("div", { class: "card-head" }, h("h2", { id: "add-region-title" }, "Add a region")), addForm) : null,
      h("section", { class: "card" },
        table("regions-table", ["Code", "Regional API URL", "Retention", "Review text", "Added", ""], body)),
    ),
  ));

  function editRow(region, row) {
    const apiUrl = h("input", { type: "url", value: region.api_url, maxlength: 2048, "aria-label": `API URL of ${region.code}` });
    const policy = h("select", { "aria-label": `Retention of ${region.code}` }, POLICIES.map(([value, text]) => h("option", { value }, text)));
    policy.value = region.retention_policy;
    const days = h("input", { type: "number", min: 0, max: 36500, value: region.retention_days ?? 30, "aria-label": "Days", class: "days" });
    const syncDays = () => { days.disabled = policy.value !== "purge_after_days"; };
    policy.addEventListener("change", syncDays);
    syncDays();
    const text = h("select", { "aria-label": `Review text of ${region.code}` }, TEXT_POLICIES.map(([value, label]) => h("option", { value }, label)));
    text.value = region.review_text;
    const form = h("form", { id: `edit-${region.code}` });
    // The row holds the controls; the form element only gives them Enter-to-save.
    for (const control of [apiUrl, policy, days, text]) control.setAttribute("form", form.id);
    editableRow(row, {
      form,
      cells: [
        h("th", { scope: "row" }, h("span", { class: "badge region" }, region.code.toUpperCase())),
        h("td", null, apiUrl),
        h("td", null, h("div", { class: "row" }, policy, days)),
        h("td", null, text),
        h("td", null, form),
      ],
      save: async () => {
        const changes = { api_url: apiUrl.value.trim(), retention_policy: policy.value, retention_days: policy.value === "purge_after_days" ? Number(days.value) : null };
        if (text.value !== region.review_text) {
          // Turning regional clears, here, the text of every review already delivered there.
          if (text.value === "regional" && !window.confirm(`Keep review text in ${region.code.toUpperCase()} only? The centre clears what it holds of the region's delivered reviews now; it is read from the region from then on.`)) {
            return "Not saved.";
          }
          changes.review_text = text.value;
        }
        await api(`/api/v1/admin/regions/${region.code}`, { method: "PATCH", body: changes });
        return `Region ${region.code.toUpperCase()} saved.`;
      },
      focus: apiUrl,
      status,
      reload: load,
    });
  }

  async function issueKey(region) {
    const revoke = h("input", { type: "checkbox", id: "revoke-others" });
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "key-title" },
      h("h2", { id: "key-title" }, `New ingest key for ${region.code.toUpperCase()}`),
      h("p", { class: "muted" }, "The forwarder of this region needs the new key. Keep the old keys working until it has switched, or revoke them now if a key leaked."),
      h("p", { class: "checks" }, h("label", { for: "revoke-others" }, revoke, "Revoke the region's other keys now")),
      h("form", { method: "dialog", class: "dialog-actions" },
        h("button", { class: "button", value: "cancel" }, "Cancel"),
        h("button", { class: "button primary", value: "ok" }, "Issue key")),
    );
    document.body.append(dialog);
    dialog.addEventListener("close", async () => {
      const ok = dialog.returnValue === "ok";
      const revokeOthers = revoke.checked;
      dialog.remove();
      if (!ok) return;
      try {
        const issued = await api(`/api/v1/admin/regions/${region.code}/ingest-keys`, { method: "POST", body: { revoke_others: revokeOthers } });
        replace(status, secretBox(`New ingest key for ${region.code.toUpperCase()}${revokeOthers ? " (older keys revoked)" : ""}:`, region.code, issued.ingest_key));
      } catch (error) {
        replace(status, errorNotice(error));
      }
    });
    dialog.showModal();
  }

  async function load() {
    try {
      const regions = await fetchAll("/api/v1/admin/regions", { api });
      replace(body, regions.length
        ? regions.map((region) => {
            const row = h("tr", { "data-region": region.code },
              h("th", { scope: "row" }, h("span", { class: "badge region" }, region.code.toUpperCase())),
              h("td", null, h("span", { class: "mono" }, region.api_url)),
              h("td", null, retentionText(region)),
              h("td", null, reviewTextText(region)),
              h("td", { class: "nowrap" }, formatDateTime(region.created_at)),
              h("td", { class: "actions" }),
            );
            if (admin) {
              const edit = h("button", { class: "button small", type: "button", "aria-label": `Edit ${region.code}` }, "Edit");
              const key = h("button", { class: "button small", type: "button" }, "New ingest key");
              edit.addEventListener("click", () => editRow(region, row));
              key.addEventListener("click", () => issueKey(region));
              row.lastChild.append(edit, key);
            }
            return row;
          })
        : messageRow(6, "No regions yet."));
    } catch (error) {
      if (error.status !== 401) replace(status, errorNotice(error));
    }
  }

  load();
  return () => {};
}
