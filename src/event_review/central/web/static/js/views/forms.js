// Review forms (#/forms): the current version of every form and which events
// it applies to, each form's versions, and the editor (forms/editor.js).
// Admins edit and apply; leads look, read-only.

import { api } from "../api.js";
import { formatDateTime, h, replace } from "../dom.js";
import { formVersion } from "../forms/cache.js";
import { session } from "../session.js";
import { errorNotice, messageRow, pageHead, table } from "./common.js";
import { createEditor, TEMPLATE } from "./forms/editor.js";
import { appliesText } from "./forms/preview.js";

function button(text, attrs, onClick) {
  const node = h("button", { class: "button small", type: "button", ...attrs }, text);
  node.addEventListener("click", onClick);
  return node;
}

export function mount(container) {
  const admin = session.hasRole("admin");
  const status = h("div", { id: "forms-status" });
  const body = h("tbody", null, messageRow(5, "Loading…"));
  const versionsTitle = h("h2", { id: "form-versions-title" }, "Versions");
  const versionsBody = h("tbody");
  const versions = h("section", { class: "card", id: "form-versions", "aria-labelledby": "form-versions-title", hidden: true },
    h("div", { class: "card-head" }, versionsTitle),
    table("form-versions-table", ["Version", "Title", "Applies to", "Applied", ""], versionsBody));
  let shownKey = null;
  let stopped = false;

  const editor = createEditor({
    onApplied: (applied) => {
      load();
      showVersions(applied.key);
    },
  });

  async function view(key, version, { editable }) {
    try {
      const form = await formVersion(key, version);
      if (stopped) return;
      const heading = editable ? `Edit ${key} (from version ${version})` : `${key}, version ${version}${admin ? "" : " (read-only)"}`;
      editor.open({ definition: form.definition, html: form.html, heading, editable });
    } catch (error) {
      replace(status, errorNotice(error));
    }
  }

  async function showVersions(key) {
    shownKey = key;
    versions.hidden = false;
    versionsTitle.textContent = `Versions of ${key}`;
    replace(versionsBody, messageRow(5, "Loading…"));
    try {
      const list = await api(`/api/v1/forms/${encodeURIComponent(key)}/versions`);
      if (stopped || shownKey !== key) return;
      replace(versionsBody, list.map((v, i) => h("tr", { "data-version": v.version },
        h("th", { scope: "row" }, `${v.version}${i === 0 ? " (current)" : ""}`),
        h("td", null, v.title),
        h("td", null, appliesText(v)),
        h("td", null, `${formatDateTime(v.created_at)} · ${v.created_by}`),
        h("td", { class: "actions" },
          button("View", { "aria-label": `View version ${v.version} of ${key}` }, () => view(key, v.version, { editable: false })),
          admin ? button("Edit from it", { "aria-label": `Edit ${key} from version ${v.version}` }, () => view(key, v.version, { editable: true })) : null))));
    } catch (error) {
      replace(versionsBody, messageRow(5, "Could not load the versions."));
      replace(status, errorNotice(error));
    }
  }

  async function load() {
    try {
      const forms = await api("/api/v1/forms");
      if (stopped) return;
      replace(body, forms.length ? forms.map((f) => h("tr", { "data-form": f.key },
        h("th", { scope: "row" }, h("span", { class: "mono" }, f.key), h("div", { class: "muted" }, f.title)),
        h("td", null, appliesText(f)),
        h("td", { class: "num" }, String(f.version)),
        h("td", null, `${formatDateTime(f.created_at)} · ${f.created_by}`),
        h("td", { class: "actions" },
          admin
            ? button("Edit", { "aria-label": `Edit ${f.key}` }, () => view(f.key, f.version, { editable: true }))
            : button("View", { "aria-label": `View ${f.key}` }, () => view(f.key, f.version, { editable: false })),
          button("Versions", { "aria-label": `Versions of ${f.key}` }, () => showVersions(f.key))),
      )) : messageRow(5, "No forms yet."));
    } catch (error) {
      replace(body, messageRow(5, "Could not load the forms."));
      replace(status, errorNotice(error));
    }
  }

  const newButton = admin
    ? button("New form", { class: "button primary", id: "new-form" }, () => editor.open({ definition: TEMPLATE, heading: "New form", editable: true }))
    : null;
  container.append(h("div", { class: "page" },
    pageHead("Review forms",
      "What reviewers answer, per event type and region. A change makes a new version; every review keeps the version it was made with.",
      newButton),
    status,
    h("div", { class: "stack" },
      h("section", { class: "card", "aria-label": "Current forms" },
        table("forms-table", ["Form", "Applies to", ["Version", "num"], "Applied", ""], body)),
      versions,
      editor.card),
  ));
  load();
  return () => {
    stopped = true;
    editor.destroy();
  };
}
