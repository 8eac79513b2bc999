// Entry point: session, routing (#/review, #/qa, #/dashboard, #/search?…, #/stats?…, #/history, #/forms,
// #/events/ID, ...), the top bar. Each view is a module with mount(container) -> unmount().

import { api, onUnauthorized } from "./api.js";
import { announceLogin, forget, logout, maySignIn, onSessionEvents, refresh } from "./auth.js";
import { h, notice, refreshTimes, replace, toast } from "./dom.js";
import { isTyping } from "./keys.js";
import { endedSession, loggedOutMessage } from "./messages.js";
import { regionList, session } from "./session.js";
import * as audit from "./views/audit.js";
import * as dashboard from "./views/dashboard.js";
import * as eventPage from "./views/event.js";
import * as forms from "./views/forms.js";
import * as myHistory from "./views/history.js";
import * as login from "./views/login.js";
import * as qa from "./views/qa.js";
import * as regions from "./views/regions.js";
import * as review from "./views/review.js";
import * as search from "./views/search.js";
import * as stats from "./views/stats.js";
import * as teams from "./views/teams.js";
import * as users from "./views/users.js";
import * as webhooks from "./views/webhooks.js";
import * as writebacks from "./views/writebacks.js";

const ROUTES = {
  review: { title: "Review", roles: ["reviewer", "qa", "lead", "admin"], view: review },
  qa: { title: "QA", roles: ["qa", "lead", "admin"], view: qa },
  dashboard: { title: "Dashboard", roles: ["lead", "admin"], view: dashboard },
  search: { title: "Search", roles: ["lead", "admin"], view: search },
  writebacks: { title: "Write-backs", roles: ["admin"], view: writebacks },
  webhooks: { title: "Webhooks", roles: ["admin"], view: webhooks },
  audit: { title: "Audit log", roles: ["admin"], view: audit },
  regions: { title: "Regions", roles: ["lead", "admin"], view: regions },
  teams: { title: "Teams", roles: ["lead", "admin"], view: teams },
  users: { title: "Users", roles: ["admin"], view: users },
  forms: { title: "Forms", roles: ["lead", "admin"], view: forms },
  history: { title: "My history", roles: ["reviewer", "qa", "lead", "admin"], view: myHistory },
  // Everyone's own figures; leads' and admins' grouped per reviewer, team or region.
  stats: { title: "Statistics", roles: ["reviewer", "qa", "lead", "admin"], view: stats },
  // A link to one event (#/events/ID), to share or bookmark; not in the menu.
  events: { title: "Event", roles: ["reviewer", "qa", "lead", "admin"], view: eventPage, hidden: true },
};
// Who the user is can change while they work (an admin maps a region to the
// team, or changes their role): asked again this often, and on focus.
const ME_POLL_MS = 60_000;
// "2 min ago" is redrawn this often, so it never says "just now" for long.
const TIMES_MS = 15_000;

const main = document.getElementById("main");
const topbar = document.getElementById("topbar");
let current = null;
let loggingOut = false;
// A page the user followed a link to but may not open: said where they land instead.
let refused = null;
const ROLE_NAMES = { reviewer: "reviewers", qa: "QA", lead: "leads", admin: "admins" };

function route() {
  const match = location.hash.match(/^#\/([a-z-]+)(?:\/([^/?#]+))?/);
  return match ? { name: match[1], param: match[2] ? decodeURIComponent(match[2]) : null } : { name: null, param: null };
}

function defaultRoute() {
  return session.hasRole("admin") ? "dashboard" : "review";
}

function unmountCurrent() {
  if (current && current.unmount) current.unmount();
  current = null;
}

function showLogin(message = null, kind = "warn") {
  unmountCurrent();
  topbar.hidden = true;
  document.title = "Log in · Event Review";
  replace(main);
  current = { name: "login", unmount: login.mount(main, { message, kind, onLoggedIn: start }) };
}

/**
 * An admin's many links fit beside who is logged in only without the detail: then
 * it goes (it stays in the title). When even that is too narrow, the links take a
 * row of their own, and the pages laid out below the bar learn its new height.
 */
function fitTopbar() {
  const nav = document.getElementById("nav");
  const overflows = () => nav.scrollWidth > nav.clientWidth + 1;
  topbar.classList.remove("crowded", "wrapped");
  document.documentElement.style.removeProperty("--topbar");
  if (topbar.hidden || !overflows()) return;
  topbar.classList.add("crowded");
  if (!overflows()) return;
  topbar.classList.add("wrapped");
  document.documentElement.style.setProperty("--topbar", `${topbar.offsetHeight}px`);
}

function renderTopbar(active) {
  const nav = document.getElementById("nav");
  replace(
    nav,
    Object.entries(ROUTES)
      .filter(([, r]) => !r.hidden && session.hasRole(...r.roles))
      .map(([name, r]) => h("a", { href: `#/${name}`, "aria-current": name === active ? "page" : null }, r.title)),
  );
  const me = session.me;
  const regionsText = regionList(me);
  replace(document.getElementById("whoami"),
    h("strong", null, me.username),
    h("span", { class: "whoami-detail" }, ` · ${me.role}${me.team ? ` · ${me.team}` : ""}`),
    h("span", { class: "whoami-regions", id: "whoami-regions", title: "The regions your team reviews" },
      regionsText ? ` · ${regionsText}` : " · no region"),
  );
  document.getElementById("whoami").title = `${me.username} · ${me.role}${me.team ? ` · ${me.team}` : ""} · ${regionsText || "no region"}`;
  fitTopbar();
}

/** "Search is not available to your role", above the page the user was sent to instead. */
function showRefused(wanted, shown) {
  refused = null;
  const who = ROUTES[wanted].roles.map((role) => ROLE_NAMES[role] || role).join(" and ");
  const dismiss = h("button", { class: "button small", type: "button" }, "Dismiss");
  const box = h("div", { id: "route-refused" }, notice("warn", `${ROUTES[wanted].title} is not available to your role.`,
    `It is for ${who}; you are signed in as ${session.me.role}. Here is ${ROUTES[shown].title} instead.`, [dismiss]));
  dismiss.addEventListener("click", () => box.remove());
  main.prepend(box);
}

function render({ focus = false } = {}) {
  if (!session.me) return;
  let { name, param } = route();
  if (!name || !ROUTES[name] || !session.hasRole(...ROUTES[name].roles)) {
    if (name && Object.hasOwn(ROUTES, name) && !ROUTES[name].hidden) refused = name;
    name = defaultRoute();
    param = null;
    if (location.hash !== `#/${name}`) {
      location.replace(`#/${name}`); // hashchange renders
      return;
    }
  }
  unmountCurrent();
  topbar.hidden = false;
  renderTopbar(name);
  document.title = `${ROUTES[name].title} · Event Review`;
  replace(main);
  current = { name, unmount: ROUTES[name].view.mount(main, { param }) };
  if (refused) showRefused(refused, name);
  if (focus) main.focus({ preventScroll: true });
}

async function start() {
  try {
    session.update(await api("/api/v1/auth/me"));
  } catch (error) {
    if (error.status !== 401) showLogin("The server cannot be reached right now. Try again in a moment.", "error");
    return; // a 401 already showed the login screen
  }
  loggingOut = false;
  announceLogin();
  render();
}

/** Ask the server who we are again; a changed role or team shows at once. */
async function recheckMe() {
  if (!session.me || document.hidden) return;
  const before = session.me;
  let me;
  try {
    me = await api("/api/v1/auth/me");
  } catch {
    return; // a 401 shows the login screen; anything else: try at the next tick
  }
  if (!session.me) return;
  session.update(me);
  if (me.role !== before.role) {
    render();
  } else if (current && ROUTES[current.name]) {
    renderTopbar(current.name);
  }
}

function ended(message, kind = "warn", code = null) {
  if (loggingOut || !session.token) return;
  forget(code);
  showLogin(message, kind);
}

onUnauthorized((error) => ended(loggedOutMessage(error), "warn", error.code));
onSessionEvents({
  ended: (error, here) => ended(loggedOutMessage(error), "warn", here ? error.code : null),
  loggedOut: () => ended(loggedOutMessage({ code: "logged_out_elsewhere" }), "info"),
  loggedIn: async (userId) => {
    if (session.me && session.me.user_id !== userId) {
      // The browser's one refresh cookie now belongs to someone else.
      ended(loggedOutMessage({ code: "logged_in_elsewhere" }));
      return;
    }
    if (session.token || !current || current.name !== "login") return;
    try {
      await refresh();
    } catch {
      return; // stay on the login screen
    }
    start();
  },
});

window.addEventListener("hashchange", () => {
  if (!session.me || !location.hash.startsWith("#/")) return;
  render({ focus: true });
});

document.getElementById("logout-button").addEventListener("click", async () => {
  loggingOut = true;
  await logout();
  if (location.hash) history.replaceState(null, "", location.pathname);
  showLogin("You have logged out.", "info");
});

const shortcuts = document.getElementById("shortcuts-dialog");
function showShortcuts() {
  // The QA screen's keys, for those who have it.
  const qa = session.hasRole(...ROUTES.qa.roles);
  for (const id of ["qa-shortcuts-title", "qa-shortcuts"]) document.getElementById(id).hidden = !qa;
  shortcuts.showModal();
}
document.getElementById("shortcuts-button").addEventListener("click", showShortcuts);
document.addEventListener("keydown", (event) => {
  if (event.key !== "?" || !session.me || isTyping(event.target, event.key) || document.querySelector("dialog[open]")) return;
  event.preventDefault();
  showShortcuts();
});

// The skip link moves focus; it must not change the route in the hash.
document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener("unhandledrejection", (event) => {
  if (event.reason && event.reason.name === "AbortError") return;
  console.error(event.reason);
  toast("Something unexpected went wrong. Reload the page if the screen looks wrong.", "error");
});

window.addEventListener("resize", fitTopbar, { passive: true });
setInterval(recheckMe, ME_POLL_MS);
window.addEventListener("focus", recheckMe);
document.addEventListener("visibilitychange", recheckMe);
setInterval(() => refreshTimes(document), TIMES_MS);

// A reload or a new tab has no token yet: the refresh cookie gets one, so
// the reviewer stays logged in across reloads and tabs.
if (maySignIn()) {
  refresh().then(start, (error) => {
    if (error.status === 0) showLogin("The server cannot be reached right now. Try again in a moment.", "error");
    else showLogin(endedSession(error) ? loggedOutMessage(error) : null);
  });
} else {
  showLogin();
}
