// The access token lives in memory and in sessionStorage (this tab only, gone
// when it closes). No cookies: the API authenticates the Authorization header
// alone, so another site cannot make the browser act for the reviewer (CSRF).

const KEY = "event-review.session";

export const session = {
  token: null,
  expiresAt: null,
  me: null,

  restore() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
      if (saved && saved.token && new Date(saved.expiresAt).getTime() > Date.now()) {
        this.token = saved.token;
        this.expiresAt = saved.expiresAt;
      }
    } catch {
      sessionStorage.removeItem(KEY);
    }
    return this.token !== null;
  },

  start(token, expiresAt) {
    this.token = token;
    this.expiresAt = expiresAt;
    sessionStorage.setItem(KEY, JSON.stringify({ token, expiresAt }));
  },

  end() {
    this.token = null;
    this.expiresAt = null;
    this.me = null;
    sessionStorage.removeItem(KEY);
  },

  hasRole(...roles) {
    return this.me !== null && roles.includes(this.me.role);
  },
};
