// What the controls of a form (render.js) hold, in and out: the answers as a
// draft keeps them, the body the review route takes, and what the chosen
// decision shows or asks for. A reason list that some decision requires is
// shown while such a decision is chosen (marked required); a list no
// decision requires is always shown, optional. Answers in a hidden list stay
// in the draft but are not sent.

import { replace } from "../dom.js";
import { markup } from "./markup.js";

function checked(inputs) {
  for (const [key, input] of inputs) if (input.checked) return key;
  return null;
}

export function chosenDecision(parts) {
  const key = checked(parts.decisionInputs);
  return parts.def.decisions.find((d) => d.key === key) || null;
}

export function listShown(list, decision) {
  return list.requiredBy.size === 0 || (decision !== null && list.requiredBy.has(decision.key));
}

/** Show what the chosen decision asks for: its reason lists, its description, whether a comment is required. */
export function sync(parts) {
  const decision = chosenDecision(parts);
  for (const list of parts.lists) {
    const shown = listShown(list, decision);
    list.box.hidden = !shown;
    const count = list.def.multiple ? "choose any" : "choose one";
    list.note.textContent = `${list.requiredBy.size ? "required" : "optional"} · ${count}`;
  }
  const description = decision ? parts.html[`decisions.${decision.key}`] : null;
  if (parts.description) {
    replace(parts.description, markup(description));
    parts.description.hidden = !description;
  }
  if (parts.comment) {
    const required = decision !== null && decision.comment === "required";
    parts.comment.note.textContent = `${required ? `required for ${decision.label}` : "optional"} · Ctrl+Enter submits`;
    if (required) parts.comment.textarea.setAttribute("aria-required", "true");
    else parts.comment.textarea.removeAttribute("aria-required");
  }
}

/** Everything the controls hold, as a draft keeps it (numbers as typed). */
export function readAnswers(parts) {
  const rating = checked(parts.ratingInputs);
  const reasons = {};
  for (const list of parts.lists) {
    const keys = [...list.inputs].filter(([, input]) => input.checked).map(([key]) => key);
    if (keys.length) reasons[list.def.key] = keys;
  }
  const fields = {};
  for (const { def, input } of parts.fields) {
    const value = def.kind === "boolean" ? input.checked : input.value;
    if (value !== "" && value !== false) fields[def.key] = value;
  }
  return {
    decision: checked(parts.decisionInputs),
    rating: rating === null ? null : Number(rating),
    comment: parts.comment ? parts.comment.textarea.value : "",
    reasons,
    fields,
  };
}

/** Show a draft (or a blank form for null); what the form does not have is left out. */
export function writeAnswers(parts, draft) {
  const d = draft || {};
  for (const [key, input] of parts.decisionInputs) input.checked = key === d.decision;
  for (const [value, input] of parts.ratingInputs) input.checked = value === Number(d.rating);
  const reasons = d.reasons && typeof d.reasons === "object" ? d.reasons : {};
  for (const list of parts.lists) {
    const wanted = Array.isArray(reasons[list.def.key]) ? reasons[list.def.key] : [];
    for (const [key, input] of list.inputs) input.checked = wanted.includes(key);
  }
  const fields = d.fields && typeof d.fields === "object" ? d.fields : {};
  for (const { def, input } of parts.fields) {
    const value = fields[def.key];
    if (def.kind === "boolean") input.checked = value === true;
    else input.value = value === undefined || value === null ? "" : String(value);
  }
  if (parts.comment) {
    parts.comment.textarea.value = typeof d.comment === "string" ? d.comment : "";
    parts.comment.counter.textContent = `${parts.comment.textarea.value.length} / ${parts.comment.max}`;
  }
  sync(parts);
}

function fieldValue(def, input) {
  if (def.kind === "boolean") return input.checked;
  const text = input.value.trim();
  if (text === "") return undefined;
  if (def.kind !== "number") return text;
  // Anything that is not a number goes as typed: the server names the field.
  const number = Number(text);
  return Number.isFinite(number) ? number : text;
}

/** The body of POST /events/{id}/review, without the form reference. */
export function answersBody(parts) {
  const typed = readAnswers(parts);
  const decision = chosenDecision(parts);
  const body = { decision: typed.decision };
  if (parts.def.rating) body.rating = typed.rating;
  if (parts.comment) body.comment = typed.comment.trim() ? typed.comment.trim() : null;
  const reasons = {};
  for (const list of parts.lists) {
    if (listShown(list, decision) && typed.reasons[list.def.key]) reasons[list.def.key] = typed.reasons[list.def.key];
  }
  const fields = {};
  for (const { def, input } of parts.fields) {
    const value = fieldValue(def, input);
    if (value !== undefined) fields[def.key] = value;
  }
  if (parts.lists.length) body.reasons = reasons;
  if (parts.fields.length) body.fields = fields;
  return body;
}

/** What must be chosen before sending at all (the decision, a required rating), as 422-style details. */
export function missing(parts) {
  const details = [];
  if (!chosenDecision(parts)) details.push({ loc: ["body", "decision"], msg: "Choose a decision", type: "missing" });
  const { rating } = parts.def;
  if (rating && rating.required && checked(parts.ratingInputs) === null) {
    details.push({ loc: ["body", "rating"], msg: `Choose a rating from ${rating.min} to ${rating.max}`, type: "missing" });
  }
  return details;
}

/** "approve or reject (a / r) and a rating (1–5)": what `missing` found, in words. */
export function missingText(parts, details) {
  const { decisions, rating } = parts.def;
  const places = new Set(details.map((d) => d.loc[1]));
  const decisionText = decisions.length === 2
    ? `${decisions[0].label.toLowerCase()} or ${decisions[1].label.toLowerCase()} (${decisions[0].hotkey} / ${decisions[1].hotkey})`
    : `a decision (${decisions.map((d) => d.hotkey).join(" / ")})`;
  const wanted = [
    places.has("decision") ? decisionText : null,
    places.has("rating") ? `a rating (${rating.min}–${rating.max})` : null,
  ].filter(Boolean);
  return `Choose ${wanted.join(" and ")} first.`;
}
