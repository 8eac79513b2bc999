// A 422's details shown where they belong: each names a place of the form
// (["body", "reasons", "cause"], ["body", "fields", "vehicles"], …), whose
// error line says what is wrong and whose controls are marked invalid. The
// first place in the form's order gets focus. Nothing typed is touched.

function sentence(text) {
  const trimmed = String(text || "").trim();
  if (!trimmed) return "";
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** "fields.vehicles" for ["body", "fields", "vehicles", …]; null for a place the form has no control for. */
export function placeOf(loc) {
  const path = (Array.isArray(loc) ? loc : []).filter((part) => part !== "body");
  if (["decision", "rating", "comment"].includes(path[0])) return path[0];
  if ((path[0] === "reasons" || path[0] === "fields") && path.length >= 2) return `${path[0]}.${path[1]}`;
  return null;
}

/** The label a reviewer reads for a place: "Cause of the false trigger", "Vehicles involved". */
export function labelOf(parts, name) {
  const [kind, key] = name.split(".");
  if (kind === "reasons") return (parts.lists.find((l) => l.def.key === key) || { def: { label: key } }).def.label;
  if (kind === "fields") return (parts.fields.find((f) => f.def.key === key) || { def: { label: key } }).def.label;
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

export function clearError(parts, name) {
  const found = parts.places.get(name);
  if (!found || !found.error.textContent) return;
  found.error.textContent = "";
  found.box.classList.remove("invalid");
  for (const control of found.controls) control.removeAttribute("aria-invalid");
}

export function clearErrors(parts) {
  for (const name of parts.places.keys()) clearError(parts, name);
}

/**
 * Show `details` at their places; returns {places: the names shown, in form
 * order, unplaced: details no control of the form answers to}.
 */
export function showErrors(parts, details, { focus = true } = {}) {
  clearErrors(parts);
  const messages = new Map();
  const unplaced = [];
  for (const detail of Array.isArray(details) ? details : []) {
    const name = placeOf(detail.loc);
    if (name && parts.places.has(name)) messages.set(name, [...(messages.get(name) || []), sentence(detail.msg)]);
    else unplaced.push(detail);
  }
  const shown = [...parts.places.keys()].filter((name) => messages.has(name));
  for (const name of shown) {
    const found = parts.places.get(name);
    found.error.textContent = [...new Set(messages.get(name))].join(" ");
    found.box.classList.add("invalid");
    for (const control of found.controls) control.setAttribute("aria-invalid", "true");
  }
  if (focus && shown.length) {
    const first = parts.places.get(shown[0]);
    const target = first.controls.find((c) => c.checked) || first.focus;
    target.focus();
  }
  return { places: shown, unplaced };
}
