// Leads' and admins' dashboard: queue counts per region and status, the
// oldest pending age, the queue's service levels (dashboard/sla.js), write-back
// health, two pygal charts and the QA agreement of one form (dashboard/agreement.js). Polls every 10 s while the tab is visible.

import { api } from "../api.js";
import { loadChart } from "../charts.js";
import { formatAge, formatNumber, formatTime, h, notice, replace } from "../dom.js";
import { describe } from "../messages.js";
import { session } from "../session.js";
import { createAgreement } from "./dashboard/agreement.js";
import { createSla } from "./dashboard/sla.js";

const POLL_MS = 10_000;
const WINDOWS = [[6, "Last 6 hours"], [24, "Last 24 hours"], [168, "Last 7 days"]];
const WINDOW_KEY = "event-review.dashboard-hours";
const CHARTS = [
  {
    id: "chart-reviews",
    path: "/api/v1/admin/dashboard/charts/reviews-per-hour.svg",
    alt: (span) => `Bar chart: reviews per hour over the ${span}, stacked by region.`,
    caption: (span) => `Reviews per hour over the ${span} (UTC), one colour per region.`,
  },
  {
    id: "chart-lag",
    path: "/api/v1/admin/dashboard/charts/writeback-lag.svg",
    alt: (span) => `Line chart: average and slowest write-back lag per hour over the ${span}.`,
    caption: (span) => `Time from a review to the region's confirmation, per hour over the ${span} (UTC).`,
  },
];

function stat(label, value, note, { alert = false, href = null, id = null } = {}) {
  const content = [
    h("div", { class: "stat-label" }, label),
    h("div", { class: "stat-value", id }, value),
    note ? h("div", { class: "stat-note" }, note) : null,
  ];
  return h("div", { class: ["card", "stat", alert ? "alert" : null] }, href ? h("a", { href }, content) : content);
}

export function mount(container) {
  const windowSelect = h("select", { id: "chart-window" }, WINDOWS.map(([hours, text]) => h("option", { value: hours }, text)));
  windowSelect.value = localStorage.getItem(WINDOW_KEY) || "24";
  if (!windowSelect.value) windowSelect.value = "24";
  const span = () => WINDOWS.find(([hours]) => String(hours) === windowSelect.value)[1].toLowerCase();
  const live = h("span", { class: "live", id: "live" }, h("span", { class: "live-dot", "aria-hidden": "true" }), "Connecting…");
  const status = h("div", { id: "dashboard-status" });
  const stats = h("div", { class: "stats", id: "stats" },
    stat("Pending", "—"), stat("Oldest pending", "—"), stat("In review", "—"),
    stat("Awaiting write-back", "—"), stat("Failed write-backs", "—"), stat("Reviews, last hour", "—"));
  const tableBody = h("tbody", null, h("tr", null, h("td", { class: "empty", colspan: 6 }, "Loading…")));
  const images = new Map();
  const agreement = createAgreement();
  const sla = createSla();

  const scope = session.hasRole("admin") ? "All regions" : `Your regions: ${(session.me.regions || []).map((r) => r.toUpperCase()).join(", ")}`;
  container.append(
    h("div", { class: "page" },
      h("div", { class: "page-head" },
        h("div", null, h("h1", null, "Dashboard"), h("p", { class: "muted" }, scope)),
        h("div", { class: "row" },
          live,
          h("div", { class: "field" }, h("label", { for: "chart-window", class: "visually-hidden" }, "Chart period"), windowSelect)),
      ),
      status,
      sla.element,
      stats,
      h("section", { class: "card", "aria-labelledby": "regions-title" },
        h("div", { class: "card-head" }, h("h2", { id: "regions-title" }, "Events by region and status")),
        h("div", { class: "table-wrap" },
          h("table", { class: "data", id: "region-table" },
            h("thead", null, h("tr", null,
              h("th", { scope: "col" }, "Region"),
              h("th", { scope: "col", class: "num" }, "Pending"),
              h("th", { scope: "col", class: "num" }, "In review"),
              h("th", { scope: "col", class: "num" }, "Awaiting write-back"),
              h("th", { scope: "col", class: "num" }, "Completed"),
              h("th", { scope: "col", class: "num" }, "Oldest pending"),
            )),
            tableBody,
          ),
        ),
      ),
      h("div", { class: "charts" },
        CHARTS.map((chart) => {
          const img = h("img", { id: chart.id, alt: chart.alt(span()) });
          const caption = h("figcaption", null, chart.caption(span()));
          images.set(chart.path, { img, caption, chart });
          return h("figure", { class: "card chart-figure" }, h("div", { class: "chart-frame" }, img), caption);
        }),
      ),
      agreement.card,
    ),
  );

  function render(data) {
    const t = data.totals;
    const failed = data.writebacks.failed;
    const failedHref = session.hasRole("admin") ? "#/writebacks" : null;
    replace(stats,
      stat("Pending", formatNumber(t.pending), "waiting for a reviewer", { id: "stat-pending" }),
      stat("Oldest pending", formatAge(t.oldest_pending_seconds), t.oldest_pending_at ? `since ${formatTime(t.oldest_pending_at)}` : "nothing waiting", { id: "stat-oldest" }),
      stat("In review", formatNumber(t.assigned), "held under a lease"),
      stat("Awaiting write-back", formatNumber(data.writebacks.pending),
        data.writebacks.oldest_pending_seconds !== null ? `oldest ${formatAge(data.writebacks.oldest_pending_seconds)}` : "all delivered"),
      stat("Failed write-backs", formatNumber(failed), failed ? "need a retry" : "none", { alert: failed > 0, href: failedHref, id: "stat-failed" }),
      stat("Reviews, last hour", formatNumber(data.reviews_last_hour),
        data.writeback_lag_last_hour_seconds !== null ? `write-back lag ${formatAge(data.writeback_lag_last_hour_seconds)}` : "no write-backs yet"),
    );
    replace(tableBody, data.regions.length
      ? data.regions.map((r) => h("tr", null,
          h("th", { scope: "row" }, h("span", { class: "badge region" }, r.region_code.toUpperCase())),
          h("td", { class: "num" }, formatNumber(r.pending)),
          h("td", { class: "num" }, formatNumber(r.assigned)),
          h("td", { class: "num" }, formatNumber(r.submitted)),
          h("td", { class: "num" }, formatNumber(r.completed)),
          h("td", { class: "num" }, formatAge(r.oldest_pending_seconds)),
        ))
      : h("tr", null, h("td", { class: "empty", colspan: 6 }, "No regions yet.")));
  }

  let timer = null;
  let stopped = false;
  let inFlight = false;

  async function refresh() {
    if (stopped || inFlight) return;
    inFlight = true;
    // Its own errors stay in its card: the counts above still update.
    agreement.refresh();
    sla.refresh();
    try {
      const [data] = await Promise.all([
        api("/api/v1/admin/dashboard"),
        ...CHARTS.map((chart) => loadChart(images.get(chart.path).img, `${chart.path}?hours=${windowSelect.value}`)),
      ]);
      if (stopped) return;
      render(data);
      replace(status);
      live.className = "live";
      replace(live, h("span", { class: "live-dot", "aria-hidden": "true" }), `Live · updated ${formatTime(data.generated_at)}`);
    } catch (error) {
      if (stopped || error.status === 401) return;
      const message = describe(error);
      live.className = "live stale";
      replace(live, h("span", { class: "live-dot", "aria-hidden": "true" }), "Not updating");
      replace(status, notice("warn", message.title, `${message.text} The numbers below may be out of date; retrying every 10 seconds.`));
    } finally {
      inFlight = false;
    }
  }

  function schedule() {
    clearInterval(timer);
    timer = null;
    if (document.hidden) {
      live.className = "live paused";
      replace(live, h("span", { class: "live-dot", "aria-hidden": "true" }), "Paused while the tab is hidden");
      return;
    }
    refresh();
    timer = setInterval(refresh, POLL_MS);
  }

  windowSelect.addEventListener("change", () => {
    localStorage.setItem(WINDOW_KEY, windowSelect.value);
    for (const { img, caption, chart } of images.values()) {
      img.alt = chart.alt(span());
      caption.textContent = chart.caption(span());
    }
    schedule();
  });
  document.addEventListener("visibilitychange", schedule);
  schedule();
  return () => {
    stopped = true;
    clearInterval(timer);
    document.removeEventListener("visibilitychange", schedule);
  };
}
