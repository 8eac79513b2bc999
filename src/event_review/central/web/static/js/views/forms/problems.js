// What is wrong with a form definition, by place: the server's 422 details
// (loc ["body", "decisions", 0, "hotkey"]) as "decisions[0].hotkey" with the
// label found there. A check across the whole form reports no place of its
// own (its loc is just ["body"]); the places its message names are found in
// the definition instead (the hotkey 'j', the decision 'unclear').

/** "decisions[0].hotkey" for ["decisions", 0, "hotkey"]. */
export function pathText(path) {
  return path.reduce((text, part) => (typeof part === "number" ? `${text}[${part}]` : text ? `${text}.${part}` : String(part)), "");
}

/** The label (or key) of the deepest item along `path` that has one. */
function labelAt(definition, path) {
  let node = definition;
  let found = null;
  for (const part of path) {
    if (node === null || typeof node !== "object") break;
    node = node[part];
    if (node && typeof node === "object" && !Array.isArray(node)) found = node.label || node.key || found;
  }
  return typeof found === "string" ? found : null;
}

/** Every place in the definition whose hotkey is one of `keys` (a definition being typed may have any shape). */
function hotkeyPlaces(definition, keys) {
  const places = [];
  const items = (value) => (Array.isArray(value) ? value : []);
  items(definition.decisions).forEach((d, i) => {
    if (d && keys.includes(d.hotkey)) places.push(["decisions", i, "hotkey"]);
  });
  items(definition.reasons).forEach((list, i) => items(list && list.options).forEach((o, j) => {
    if (o && keys.includes(o.hotkey)) places.push(["reasons", i, "options", j, "hotkey"]);
  }));
  return places;
}

const quoted = (text) => [...text.matchAll(/'([^']*)'/g)].map((m) => m[1]);

/** The places a whole-form message is about, found from what it quotes. */
function placesNamed(definition, message) {
  if (/hotkey/.test(message)) return hotkeyPlaces(definition, quoted(message));
  const decision = message.match(/decision '([^']+)'/);
  if (decision) {
    const decisions = Array.isArray(definition.decisions) ? definition.decisions : [];
    const index = decisions.findIndex((d) => d && d.key === decision[1]);
    const part = /comment/.test(message) ? "comment" : /reasons/.test(message) ? "reasons" : null;
    if (index >= 0) return [["decisions", index, part].filter((p) => p !== null)];
  }
  if (/applies_to/.test(message)) return [["applies_to"]];
  return [];
}

/**
 * [{place, label, message}] for 422 `details`; `prefix` is what the route
 * puts before the definition's own path (["body"], or ["body", "forms", 0]).
 */
export function problemsOf(definition, details, prefix = ["body"]) {
  const problems = [];
  for (const detail of Array.isArray(details) ? details : []) {
    const loc = Array.isArray(detail.loc) ? detail.loc : [];
    const inside = prefix.every((part, i) => loc[i] === part);
    const path = inside ? loc.slice(prefix.length) : loc;
    const message = String(detail.msg || "").replace(/^Value error, /, "");
    const places = path.length ? [path] : placesNamed(definition || {}, message);
    if (!places.length) problems.push({ place: "the form as a whole", label: null, message });
    for (const place of places) problems.push({ place: pathText(place), label: labelAt(definition, place), message });
  }
  return problems;
}
