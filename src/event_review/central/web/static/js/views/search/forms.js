// The review forms in the terms a search and a history read them: which
// decisions and reasons there are to search for, and their labels for the
// keys the API answers with. Keys no current form knows show humanized.

import { api } from "../../api.js";
import { humanize } from "../../dom.js";
import { formVersion } from "../../forms/cache.js";

/** The current version of every form (FormOut, with its definition); a version never changes, so each is fetched once. */
export async function currentForms({ signal } = {}) {
  const summaries = await api("/api/v1/forms", { signal });
  return Promise.all(summaries.map((form) => formVersion(form.key, form.version)));
}

/** <optgroup>s of decisions, one per form: [{label, options: [[value, text]]}]. */
export function decisionGroups(forms) {
  return forms.map((form) => ({
    label: form.definition.title,
    options: form.definition.decisions.map((d) => [d.key, d.label]),
  })).filter((group) => group.options.length);
}

/** <optgroup>s of reasons ("list:code", as the API takes them), one per form. */
export function reasonGroups(forms) {
  return forms.map((form) => ({
    label: form.definition.title,
    options: form.definition.reasons.flatMap((list) =>
      list.options.map((option) => [`${list.key}:${option.key}`, `${list.label}: ${option.label}`])),
  })).filter((group) => group.options.length);
}

/** Labels for what reviews hold, from the forms at hand (the review's own form first). */
export function labeller(forms) {
  const byKey = new Map(forms.map((form) => [form.key, form.definition]));
  const ordered = (formKey) => {
    const own = byKey.get(formKey);
    return own ? [own, ...forms.map((f) => f.definition).filter((d) => d !== own)] : forms.map((f) => f.definition);
  };
  const find = (defs, pick) => {
    for (const def of defs) {
      const found = pick(def);
      if (found) return found;
    }
    return null;
  };
  return {
    decision(formKey, key) {
      if (!key) return "—";
      const found = find(ordered(formKey), (def) => def.decisions.find((d) => d.key === key));
      return found ? found.label : humanize(key);
    },
    /** "Pothole or speed bump, Sensor glitch" for an event's review_answers, or "". */
    reasons(formKey, answers) {
      const lists = (answers && answers.reasons) || {};
      return Object.entries(lists).flatMap(([listKey, codes]) => (codes || []).map((code) => {
        const option = find(ordered(formKey), (def) => {
          const list = def.reasons.find((r) => r.key === listKey);
          return list ? list.options.find((o) => o.key === code) : null;
        });
        return option ? option.label : humanize(code);
      })).join(", ");
    },
  };
}
