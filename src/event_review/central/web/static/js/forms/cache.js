// Where review forms come from: the server says which form an event is
// reviewed with (GET /events/{id}/form); a form version never changes once
// applied, so each is kept by key@version for as long as the page is open.

import { api } from "../api.js";

const versions = new Map(); // "collision@2" -> the server's FormOut

export const refText = (form) => `${form.key}@${form.version}`;

/** Keep a FormOut; the copy already kept for its key@version wins, so one version is one object. */
function remember(form) {
  const ref = refText(form);
  if (!versions.has(ref)) versions.set(ref, form);
  return versions.get(ref);
}

/** The form an event is reviewed with: the one its review used, else the current one for its type and region. */
export async function eventForm(eventId, { signal } = {}) {
  return remember(await api(`/api/v1/events/${eventId}/form`, { signal }));
}

/** One version of a form, e.g. the one a review was made with. */
export async function formVersion(key, version) {
  const ref = `${key}@${version}`;
  if (versions.has(ref)) return versions.get(ref);
  return remember(await api(`/api/v1/forms/${encodeURIComponent(key)}/versions/${version}`));
}
