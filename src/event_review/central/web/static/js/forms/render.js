// The controls of one review form, built from its definition: the decisions,
// the reason lists a decision asks for, the rating scale, the further fields
// and the comment. The same builder serves the review screen and the form
// editor's preview. Every answer is a native control (radio, checkbox,
// select, input), so the browser and screen readers know what each one is;
// hotkeys only check them. Each place the server can name in a 422 has an
// error line of its own (`places`).

import { h } from "../dom.js";
import { inlineMarkup, prose } from "./markup.js";

/** [value, digit key] for each value of a scale: the value itself up to 9, else 1, 2, … 9, 0 in order. */
export function ratingKeys(rating) {
  const values = [];
  for (let v = rating.min; v <= rating.max; v += 1) values.push(v);
  return values.map((v, i) => [v, String(rating.max <= 9 ? v : (i + 1) % 10)]);
}

function choice({ type = "radio", name, id, value, text, key, cls }) {
  const input = h("input", { type, name, id, value });
  const node = h("div", { class: ["choice", cls] },
    input,
    h("label", { for: id }, text, key ? h("kbd", { "aria-hidden": "true" }, key) : null));
  return { node, input };
}

function place(parts, name, box, controls, focus = controls[0]) {
  const error = h("p", { class: "field-error", id: `${parts.prefix}error-${name.replace(".", "-")}` });
  box.append(error);
  for (const control of controls) {
    const before = control.getAttribute("aria-describedby");
    control.setAttribute("aria-describedby", [before, error.id].filter(Boolean).join(" "));
  }
  parts.places.set(name, { box, controls, focus, error });
}

function hint(text, id = null) {
  return h("span", { class: "hint", id }, text);
}

function decisionField(parts) {
  const { def, html, prefix } = parts;
  const choices = def.decisions.map((d) => choice({
    name: "decision", id: `${prefix}decision-${d.key}`, value: d.key, text: d.label, key: d.hotkey,
    cls: d.key === "approve" || d.key === "reject" ? d.key : "pick",
  }));
  choices.forEach(({ input }, i) => parts.decisionInputs.set(def.decisions[i].key, input));
  parts.description = h("div", { class: "decision-description prose", id: `${prefix}decision-description`, "aria-live": "polite", hidden: true });
  const described = def.decisions.some((d) => html[`decisions.${d.key}`]);
  const box = h("fieldset", { class: "decision-field" },
    h("legend", null, "Decision"),
    h("div", { class: ["choice-group", "decision"] }, choices.map((c) => c.node)),
    described ? parts.description : null);
  place(parts, "decision", box, choices.map((c) => c.input));
  return box;
}

function reasonField(parts, list) {
  const { html, prefix } = parts;
  const requiredBy = new Set(parts.def.decisions.filter((d) => d.reasons.includes(list.key)).map((d) => d.key));
  const choices = list.options.map((o) => {
    const description = html[`reasons.${list.key}.${o.key}`];
    return choice({
      type: list.multiple ? "checkbox" : "radio", name: `reason-${list.key}`, id: `${prefix}reason-${list.key}-${o.key}`,
      value: o.key, key: o.hotkey, cls: "option",
      text: [h("span", null, o.label), description ? h("span", { class: "option-description" }, inlineMarkup(description)) : null],
    });
  });
  const note = hint("");
  const box = h("fieldset", { class: "reason-field", "data-list": list.key },
    h("legend", null, list.label, " ", note),
    h("div", { class: ["choice-group", "options"] }, choices.map((c) => c.node)));
  const inputs = new Map(choices.map(({ input }, i) => [list.options[i].key, input]));
  parts.lists.push({ def: list, box, inputs, note, requiredBy });
  place(parts, `reasons.${list.key}`, box, [...inputs.values()]);
  return box;
}

function ratingField(parts) {
  const { rating } = parts.def;
  const labels = new Map(rating.labels.map((l) => [l.value, l.label]));
  const choices = ratingKeys(rating).map(([value, key]) => {
    const c = choice({
      name: "rating", id: `${parts.prefix}rating-${value}`, value: String(value), cls: "stars",
      key: key === String(value) ? null : key,
      text: [String(value), labels.has(value) ? h("span", { class: "visually-hidden" }, ` ${labels.get(value)}`) : null],
    });
    parts.ratingInputs.set(value, c.input);
    return c;
  });
  const scale = rating.labels.length
    ? rating.labels.map((l) => h("span", null, `${l.value} · ${l.label}`))
    : [h("span", null, `${rating.min} · low`), h("span", null, `${rating.max} · high`)];
  const box = h("fieldset", { class: "rating-field" },
    h("legend", null, "Rating", rating.required ? null : [" ", hint("optional")]),
    h("div", { class: ["choice-group", "rating"] }, choices.map((c) => c.node)),
    h("div", { class: "rating-scale", "aria-hidden": "true" }, scale));
  place(parts, "rating", box, choices.map((c) => c.input));
  return box;
}

function control(spec, id) {
  if (spec.kind === "boolean") return h("input", { type: "checkbox", id, name: spec.key });
  if (spec.kind === "choice") {
    return h("select", { id, name: spec.key },
      h("option", { value: "" }, spec.required ? "Choose…" : "—"),
      spec.options.map((o) => h("option", { value: o.key }, o.label)));
  }
  if (spec.kind === "number") {
    return h("input", {
      type: "number", id, name: spec.key, min: spec.min, max: spec.max,
      step: spec.integer ? 1 : "any", inputmode: spec.integer ? "numeric" : "decimal",
    });
  }
  return h("input", { type: "text", id, name: spec.key, maxlength: spec.max_length, autocomplete: "off" });
}

function fieldBox(parts, spec) {
  const id = `${parts.prefix}field-${spec.key}`;
  const input = control(spec, id);
  const description = parts.html[`fields.${spec.key}`];
  const about = description ? prose(description, { class: "field-description", id: `${id}-description` }) : null;
  if (about) input.setAttribute("aria-describedby", about.id);
  if (spec.required && spec.kind !== "boolean") input.setAttribute("aria-required", "true");
  const range = spec.kind === "number" ? ` · ${spec.min}–${spec.max}` : "";
  const label = h("label", { for: id }, spec.label, " ",
    spec.kind === "boolean" ? null : hint(`${spec.required ? "required" : "optional"}${range}`));
  const box = spec.kind === "boolean"
    ? h("div", { class: ["field", "form-field", "boolean"] }, h("div", { class: "check" }, input, label), about)
    : h("div", { class: ["field", "form-field"] }, label, input, about);
  parts.fields.push({ def: spec, box, input });
  place(parts, `fields.${spec.key}`, box, [input]);
  return box;
}

function commentField(parts) {
  const { prefix } = parts;
  const max = parts.def.comment.max_length;
  const textarea = h("textarea", { id: `${prefix}comment`, name: "comment", maxlength: max, rows: 4, "aria-describedby": `${prefix}comment-hint ${prefix}comment-count` });
  const counter = h("div", { class: "counter", id: `${prefix}comment-count`, "aria-live": "off" }, `0 / ${max}`);
  const note = hint("optional · Ctrl+Enter submits", `${prefix}comment-hint`);
  textarea.addEventListener("input", () => {
    counter.textContent = `${textarea.value.length} / ${max}`;
  });
  const box = h("div", { class: "field wide-field" }, h("label", { for: textarea.id }, "Comment ", note), textarea, counter);
  parts.comment = { box, textarea, counter, note, max };
  place(parts, "comment", box, [textarea]);
  return box;
}

/**
 * The controls of `form` (a FormOut: {key, version, definition, html}).
 * `prefix` keeps ids apart when one page shows two forms.
 */
export function buildControls(form, { prefix = "" } = {}) {
  const def = form.definition;
  const parts = {
    form, def, html: form.html || {}, prefix,
    places: new Map(), decisionInputs: new Map(), ratingInputs: new Map(), lists: [], fields: [],
    comment: null, description: null,
  };
  parts.sections = [
    decisionField(parts),
    ...def.reasons.map((list) => reasonField(parts, list)),
    def.rating ? ratingField(parts) : null,
    ...def.fields.map((spec) => fieldBox(parts, spec)),
    def.comment.enabled ? commentField(parts) : null,
  ].filter(Boolean);
  // The review panel's compact layouts are made for the default form's three parts.
  parts.extended = def.reasons.length > 0 || def.fields.length > 0 || def.decisions.length > 2 || Boolean(parts.html.guidelines);
  return parts;
}
