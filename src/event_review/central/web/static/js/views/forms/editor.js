// The form editor: one form as JSON in a textarea, checked and previewed
// while it is typed (POST /admin/forms/preview, a moment after the last
// keystroke, stale answers dropped), and applied with Apply (POST
// /admin/forms). YAML is for the command line and version control; JSON is
// what a browser can check without a parser of its own. A lead, or any old
// version, is shown read-only, previewed from the stored rendering.

import { api } from "../../api.js";
import { h, notice, replace } from "../../dom.js";
import { errorNotice } from "../common.js";
import { renderPreview, renderProblems } from "./preview.js";
import { problemsOf } from "./problems.js";

const DEBOUNCE_MS = 400;

/** Where "New" starts: the default form's shape, for one event type, with each kind of part once. */
export const TEMPLATE = {
  key: "new_form",
  title: "New review form",
  applies_to: { event_types: ["event_type_here"] },
  guidelines: "What reviewers should look for, in **Markdown**.",
  decisions: [
    { key: "approve", label: "Approve", hotkey: "a" },
    { key: "reject", label: "Reject", hotkey: "r", reasons: ["why"] },
  ],
  rating: { min: 1, max: 5, required: true, labels: [] },
  reasons: [
    { key: "why", label: "Why rejected", multiple: false, options: [{ key: "unclear", label: "Footage unclear", hotkey: "u" }] },
  ],
  fields: [{ key: "note", label: "Note", kind: "text", max_length: 200 }],
  comment: { enabled: true, max_length: 4000 },
};

/** The editor card; `onApplied({key, version, changed})` runs after a successful Apply. */
export function createEditor({ onApplied }) {
  const textarea = h("textarea", {
    id: "form-json", class: "mono form-json", rows: 26, spellcheck: "false", autocomplete: "off",
    "aria-describedby": "form-json-hint form-problems",
  });
  const problems = h("div", { class: "form-problems", id: "form-problems", "aria-live": "polite" });
  const preview = h("div", { class: "form-preview", id: "form-preview" });
  const previewNote = h("p", { class: "muted", id: "preview-note", hidden: true });
  const status = h("div", { id: "form-editor-status" });
  const title = h("h2", { id: "form-editor-title" }, "Form");
  const apply = h("button", { class: "button primary", type: "button", id: "apply-form" }, "Apply");
  const close = h("button", { class: "button", type: "button", id: "close-editor" }, "Close");
  const card = h("section", { class: "card", id: "form-editor", "aria-labelledby": "form-editor-title", hidden: true },
    h("div", { class: "card-head" }, title, h("div", { class: "row" }, apply, close)),
    status,
    h("div", { class: "editor-grid" },
      h("div", { class: "card-body editor-source" },
        h("label", { for: "form-json" }, "Form definition (JSON)"),
        h("p", { class: "hint", id: "form-json-hint" },
          "The same fields as a form file, as JSON. In version control forms are YAML, applied with ",
          h("code", null, "event-review forms apply forms.yaml"), "; this page is for a quick change and its preview."),
        textarea,
        problems),
      h("section", { class: "card-body editor-preview", "aria-labelledby": "preview-heading" },
        h("h3", { id: "preview-heading" }, "Preview: what a reviewer sees"),
        previewNote,
        preview)));

  let readOnly = false;
  let timer = null;
  let sequence = 0;
  let request = null;

  function parsed() {
    try {
      const value = JSON.parse(textarea.value);
      if (value && typeof value === "object" && !Array.isArray(value)) return { value };
      return { problem: "A form is one JSON object: {\"key\": …, \"title\": …, \"decisions\": […], …}." };
    } catch (error) {
      return { problem: `Not valid JSON: ${error.message}.` };
    }
  }

  function outdated() {
    previewNote.hidden = false;
    previewNote.textContent = preview.childNodes.length
      ? "The preview shows the last version that passed the checks."
      : "The preview appears once the form passes the checks.";
  }

  /** Check the text as it is now; only the latest check may draw. */
  async function check() {
    const mine = ++sequence;
    if (request) request.abort();
    const { value, problem } = parsed();
    if (problem) {
      renderProblems(problems, [{ place: "JSON", label: null, message: problem }]);
      outdated();
      return;
    }
    request = new AbortController();
    try {
      const shown = await api("/api/v1/admin/forms/preview", { method: "POST", body: value, signal: request.signal });
      if (mine !== sequence) return;
      renderProblems(problems, []);
      renderPreview(preview, shown);
      previewNote.hidden = true;
    } catch (error) {
      if (error.name === "AbortError" || mine !== sequence) return;
      if (error.status !== 422) {
        replace(problems, errorNotice(error));
        return;
      }
      renderProblems(problems, problemsOf(value, error.details));
      outdated();
    }
  }

  textarea.addEventListener("input", () => {
    if (readOnly) return;
    clearTimeout(timer);
    timer = setTimeout(check, DEBOUNCE_MS);
  });

  apply.addEventListener("click", async () => {
    const { value, problem } = parsed();
    if (problem) {
      renderProblems(problems, [{ place: "JSON", label: null, message: problem }]);
      return;
    }
    apply.disabled = true;
    try {
      const { forms } = await api("/api/v1/admin/forms", { method: "POST", body: { forms: [value] } });
      const [done] = forms;
      replace(status, notice("ok",
        done.changed ? `Applied: ${done.key} is now version ${done.version}.` : `No change: ${done.key} is already so, at version ${done.version}.`,
        "Reviewers get it with the events they open from now on; every review keeps the version it was made with."));
      onApplied(done);
    } catch (error) {
      if (error.code === "form_conflict") {
        replace(status, notice("error", "Not applied: another form already takes these events.", error.message));
      } else if (error.status === 422) {
        renderProblems(problems, problemsOf(value, error.details, ["body", "forms", 0]));
        replace(status, notice("error", "Not applied: the form has problems.", "They are listed under the definition."));
      } else {
        replace(status, errorNotice(error));
      }
    } finally {
      apply.disabled = false;
    }
  });

  function hide() {
    clearTimeout(timer);
    sequence += 1;
    if (request) request.abort();
    card.hidden = true;
  }
  close.addEventListener("click", hide);

  /** Show `definition`; editable (checked as typed), or read-only with its stored `html`. */
  function open({ definition, html = {}, heading, editable }) {
    readOnly = !editable;
    textarea.readOnly = readOnly;
    apply.hidden = readOnly;
    title.textContent = heading;
    textarea.value = JSON.stringify(definition, null, 2);
    replace(status);
    replace(problems);
    replace(preview);
    previewNote.hidden = true;
    card.hidden = false;
    if (readOnly) renderPreview(preview, { definition, html });
    else check();
    card.scrollIntoView({ block: "start" });
    textarea.focus({ preventScroll: true });
  }

  return { card, open, hide, destroy: hide };
}
