// Review drafts: what the reviewer chose and typed for an event (every answer
// of its form: decision, rating, reasons, fields, comment), kept in this
// browser only (localStorage, never sent anywhere until submitted), so a
// reload, a new login, a conflict or a lease that ran out loses nothing. One
// entry per user and event; removed when the server accepts the review, and
// forgotten after MAX_AGE_DAYS so abandoned ones do not pile up.

const PREFIX = "event-review.draft.";
const MAX_AGE_DAYS = 14;

const key = (userId, eventId) => `${PREFIX}${userId}.${eventId}`;

const hasAny = (values) => Boolean(values) && Object.values(values).some((v) => (Array.isArray(v) ? v.length : v !== "" && v !== false && v !== null));

function isEmpty(draft) {
  return !draft || (!draft.decision && !draft.rating && !(draft.comment || "").trim() && !hasAny(draft.reasons) && !hasAny(draft.fields));
}

/** {decision, rating, comment, reasons: {list: [option]}, fields: {key: value as typed}, form: "key@version"} or null. */
export function loadDraft(userId, eventId) {
  try {
    const saved = JSON.parse(localStorage.getItem(key(userId, eventId)) || "null");
    return saved && typeof saved === "object" ? saved : null;
  } catch {
    return null;
  }
}

export function saveDraft(userId, eventId, draft) {
  try {
    if (isEmpty(draft)) {
      localStorage.removeItem(key(userId, eventId));
    } else {
      localStorage.setItem(key(userId, eventId), JSON.stringify({ ...draft, savedAt: Date.now() }));
    }
  } catch {
    // Storage full or disabled: the form still works, only the safety net is gone.
  }
}

export function removeDraft(userId, eventId) {
  localStorage.removeItem(key(userId, eventId));
}

/** Forget drafts older than MAX_AGE_DAYS, of every user of this browser. */
export function pruneDrafts(now = Date.now()) {
  const limit = now - MAX_AGE_DAYS * 86_400_000;
  for (let i = localStorage.length - 1; i >= 0; i -= 1) {
    const name = localStorage.key(i);
    if (!name || !name.startsWith(PREFIX)) continue;
    try {
      const saved = JSON.parse(localStorage.getItem(name));
      if (!saved || !(saved.savedAt > limit)) localStorage.removeItem(name);
    } catch {
      localStorage.removeItem(name);
    }
  }
}
