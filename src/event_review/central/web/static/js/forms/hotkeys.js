// A form's own keys: its decisions' and reason options' hotkeys, and the
// digits of its rating scale. The screen's keys (j k c s n x z e ? Enter Esc)
// are checked first by the review screen; the server refuses a form that
// takes one of them. The shortcuts dialog (index.html) lists the open form's
// keys in #form-shortcuts, generated here.

import { h, replace } from "../dom.js";
import { chosenDecision, listShown, sync } from "./answers.js";
import { clearError } from "./errors.js";
import { ratingKeys } from "./render.js";

function pick(parts, place, input, { toggle = false } = {}) {
  input.checked = toggle ? !input.checked : true;
  clearError(parts, place);
  sync(parts);
  // Focus follows the choice: the reviewer sees where they are, and Enter
  // submits from there even if a button or link had focus before.
  input.focus();
  return true;
}

/** Answer `key` the way its control would be clicked; false when the form has no such key (or its list is hidden). */
export function press(parts, key) {
  const decision = parts.def.decisions.find((d) => d.hotkey === key);
  if (decision) return pick(parts, "decision", parts.decisionInputs.get(decision.key));
  for (const list of parts.lists) {
    const option = list.def.options.find((o) => o.hotkey === key);
    if (!option) continue;
    if (!listShown(list, chosenDecision(parts))) return false;
    return pick(parts, `reasons.${list.def.key}`, list.inputs.get(option.key), { toggle: list.def.multiple });
  }
  if (parts.def.rating && /^[0-9]$/.test(key)) {
    const found = ratingKeys(parts.def.rating).find(([, digit]) => digit === key);
    if (found) return pick(parts, "rating", parts.ratingInputs.get(found[0]));
  }
  return false;
}

const keys = (...names) => names.flatMap((name, i) => [i ? " … " : null, h("kbd", null, name)]).filter(Boolean);

/** [keys, what they do] for every key of the form, in its order. */
export function shortcutEntries(def) {
  const entries = def.decisions.map((d) => [keys(d.hotkey), d.label]);
  for (const list of def.reasons) {
    const when = def.decisions.filter((d) => d.reasons.includes(list.key)).map((d) => d.label);
    for (const o of list.options.filter((option) => option.hotkey)) {
      entries.push([keys(o.hotkey), `${list.label}: ${o.label}${when.length ? ` (with ${when.join(" or ")})` : ""}`]);
    }
  }
  if (def.rating) {
    const scale = ratingKeys(def.rating);
    const named = def.rating.labels.map((l) => `${l.value} ${l.label}`).join(", ");
    entries.push([keys(scale[0][1], scale[scale.length - 1][1]), `Rating ${def.rating.min}–${def.rating.max}${named ? ` (${named})` : ""}`]);
  }
  return entries;
}

/** Fill the dialog's form part with `form`'s keys, or say where they come from when no form is open. */
export function showFormShortcuts(form) {
  const list = document.getElementById("form-shortcuts");
  const title = document.getElementById("form-shortcuts-title");
  if (!list || !title) return;
  title.textContent = form ? `Answering: ${form.definition.title}` : "Answering";
  replace(list, form
    ? shortcutEntries(form.definition).map(([k, text]) => h("div", null, h("dt", null, k), h("dd", null, text)))
    : h("div", null, h("dt", null, "—"), h("dd", null, "The keys of decisions, reasons and the rating come from the open event's form.")));
}
