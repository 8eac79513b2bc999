// Who is logged in, in this tab. The access token lives in memory only: a
// reload or a new tab gets its own by a refresh (the refresh token is an
// HttpOnly cookie that scripts cannot read), so nothing in storage can be
// lifted by an injected script. Data routes still authenticate the
// Authorization header alone, so another site cannot act for the reviewer.

const listeners = new Set();

export const session = {
  token: null,
  expiresAt: null,
  me: null,

  start(token, expiresAt) {
    this.token = token;
    this.expiresAt = expiresAt;
  },

  end() {
    this.token = null;
    this.expiresAt = null;
    this.me = null;
  },

  hasRole(...roles) {
    return this.me !== null && roles.includes(this.me.role);
  },

  /** A new answer of /auth/me: views that show the team's regions redraw. */
  update(me) {
    const before = this.me ? JSON.stringify(this.me) : null;
    this.me = me;
    if (before !== null && before !== JSON.stringify(me)) for (const listener of listeners) listener(me);
  },

  /** Call `listener(me)` when who the user is changes (role, team, regions); returns the unsubscribe. */
  onChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** The team's regions as people read them: "EU, US", or null for none. */
export function regionList(me = session.me) {
  const regions = (me && me.regions) || [];
  return regions.length ? regions.map((r) => r.toUpperCase()).join(", ") : null;
}
