// The dashboard's QA agreement (GET /qa/agreement?form=KEY): for one form, how
// often QA agreed with each reviewer, and per answer the share agreed and
// Cohen's kappa between reviewer and QA. Tables like the dashboard's others;
// the answers are named by the form's current labels.

import { api } from "../../api.js";
import { formatNumber, h, notice, replace } from "../../dom.js";
import { describe } from "../../messages.js";
import { messageRow } from "../common.js";

const FORM_KEY = "event-review.agreement-form";

const percent = (share) => (share === null || share === undefined ? "—" : `${Math.round(share * 100)} %`);
const kappa = (value) => (value === null || value === undefined ? "—" : value.toFixed(2));

/** "Cause of the false trigger" for "reasons.cause", by the form's definition. */
function answerLabel(definition, place) {
  const [kind, key] = place.split(".");
  if (kind === "decision") return "Decision";
  if (kind === "rating") return "Rating";
  const items = definition ? (kind === "reasons" ? definition.reasons : definition.fields) : [];
  const found = (items || []).find((item) => item.key === key);
  return found ? found.label : place;
}

function headRow(...cells) {
  return h("thead", null, h("tr", null, cells.map(([text, cls]) => h("th", { scope: "col", class: cls }, text))));
}

export function createAgreement() {
  const select = h("select", { id: "agreement-form" });
  const status = h("div", { id: "agreement-status" });
  const summary = h("p", { class: "muted", id: "agreement-summary" }, "Loading…");
  const reviewers = h("tbody", null, messageRow(4, "Loading…"));
  const answers = h("tbody", null, messageRow(4, "Loading…"));
  const definitions = new Map(); // form key -> its current definition
  let loaded = false;

  const card = h("section", { class: "card", id: "agreement", "aria-labelledby": "agreement-title" },
    h("div", { class: "card-head" },
      h("h2", { id: "agreement-title" }, "QA agreement"),
      h("div", { class: "field inline-field" }, h("label", { for: "agreement-form" }, "Form"), select)),
    h("div", { class: "card-body agreement-body" },
      status,
      summary,
      h("div", { class: "agreement-grid" },
        h("div", { class: "table-wrap" }, h("table", { class: "data", id: "agreement-reviewers" },
          h("caption", { class: "table-caption" }, "By reviewer"),
          headRow(["Reviewer"], ["Judged", "num"], ["Agreed", "num"], ["Share agreed", "num"]),
          reviewers)),
        h("div", { class: "table-wrap" }, h("table", { class: "data", id: "agreement-answers" },
          h("caption", { class: "table-caption" }, "By answer"),
          headRow(["Answer"], ["Compared", "num"], ["Share agreed", "num"], ["Cohen's kappa", "num"]),
          answers))),
      h("p", { class: "muted table-note" },
        "Cohen's κ: agreement beyond what chance would give (1 complete, 0 no better than chance). ",
        "— where it does not apply (numbers, text) or cannot be computed (one answer throughout).")));

  async function loadForms() {
    const forms = await api("/api/v1/forms");
    replace(select, forms.map((f) => h("option", { value: f.key }, `${f.title} (${f.key})`)));
    const saved = localStorage.getItem(FORM_KEY);
    const preferred = forms.find((f) => f.key === saved) || forms.find((f) => f.key !== "default") || forms[0];
    if (preferred) select.value = preferred.key;
    loaded = true;
  }

  async function definitionOf(key) {
    if (!definitions.has(key)) definitions.set(key, (await api(`/api/v1/forms/${encodeURIComponent(key)}`)).definition);
    return definitions.get(key);
  }

  function render(data, definition) {
    summary.textContent = data.judged
      ? `${formatNumber(data.judged)} review${data.judged === 1 ? "" : "s"} of this form judged by QA.`
      : "No review of this form has been judged by QA yet.";
    replace(reviewers, data.reviewers.length
      ? data.reviewers.map((r) => h("tr", { "data-reviewer": r.reviewer },
          h("th", { scope: "row" }, r.reviewer),
          h("td", { class: "num" }, formatNumber(r.judged)),
          h("td", { class: "num" }, formatNumber(r.agreed)),
          h("td", { class: "num" }, percent(r.share))))
      : messageRow(4, "Nothing judged yet."));
    replace(answers, data.fields.map((f) => h("tr", { "data-answer": f.field },
      h("th", { scope: "row" }, answerLabel(definition, f.field)),
      h("td", { class: "num" }, formatNumber(f.compared)),
      h("td", { class: "num" }, percent(f.share)),
      h("td", { class: "num" }, kappa(f.kappa)))));
  }

  /** Fetch and draw the chosen form's figures; errors are said in the card, not thrown. */
  async function refresh() {
    try {
      if (!loaded) await loadForms();
      const key = select.value;
      if (!key) return;
      const [data, definition] = await Promise.all([
        api(`/api/v1/qa/agreement?form=${encodeURIComponent(key)}`),
        definitionOf(key).catch(() => null),
      ]);
      if (select.value !== key) return;
      render(data, definition);
      replace(status);
    } catch (error) {
      if (error.status === 401) return;
      const message = describe(error);
      replace(status, notice("warn", message.title, message.text));
    }
  }

  select.addEventListener("change", () => {
    localStorage.setItem(FORM_KEY, select.value);
    replace(reviewers, messageRow(4, "Loading…"));
    replace(answers, messageRow(4, "Loading…"));
    refresh();
  });

  return { card, refresh };
}
