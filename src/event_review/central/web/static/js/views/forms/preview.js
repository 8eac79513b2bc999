// The form editor's right-hand side: the form as a reviewer sees it on the
// review screen (the same builder, forms/review-form.js), with its keys, and
// the list of what is wrong with it, by place.

import { h, replace } from "../../dom.js";
import { shortcutEntries } from "../../forms/hotkeys.js";
import { guidelinesPanel, reviewForm } from "../../forms/review-form.js";

/** Draw `form` ({definition, html}, as the preview route or a stored version gives it) into `box`. */
export function renderPreview(box, form) {
  const shown = { key: form.definition.key, version: form.version ?? null, definition: form.definition, html: form.html || {} };
  const built = reviewForm(shown, { prefix: "preview-" });
  const fieldset = h("fieldset", { class: "review-fields" }, built.sections);
  replace(box,
    h("p", { class: "preview-title" }, h("strong", null, form.definition.title),
      h("span", { class: "muted" }, ` · ${appliesText(form.definition)}`)),
    guidelinesPanel(shown, { id: "preview-guidelines" }),
    h("form", { class: "review-form", "aria-label": "Preview of the review form", novalidate: true }, fieldset),
    h("h3", { class: "shortcut-heading" }, "Keys"),
    h("dl", { class: "shortcut-list", id: "preview-keys" },
      shortcutEntries(form.definition).map(([keys, text]) => h("div", null, h("dt", null, keys), h("dd", null, text)))),
  );
  box.querySelector("form").addEventListener("submit", (event) => event.preventDefault());
}

/** "collision in every region", "lane_departure in EU", "whatever no other form takes". */
export function appliesText(definition) {
  const applies = definition.applies_to;
  if (!applies) return "events no other form takes";
  const where = applies.regions ? applies.regions.map((r) => r.toUpperCase()).join(", ") : "every region";
  return `${applies.event_types.join(", ")} in ${where}`;
}

/** The list of problems (or a line saying there are none) into `box`. */
export function renderProblems(box, problems) {
  const item = (p) => h("li", { class: "problem" },
    h("code", null, p.place), p.label ? h("span", { class: "muted" }, ` (${p.label})`) : null, ": ", p.message);
  if (!problems.length) {
    replace(box, h("p", { class: "ok-text" }, "No problems: this form can be applied."));
    return;
  }
  replace(box,
    h("p", { class: "notice-title" }, `${problems.length} problem${problems.length === 1 ? "" : "s"} to fix before it can be applied:`),
    h("ul", { class: "problem-list" }, problems.map(item)));
}
