// The dashboard's service levels (GET /sla): a badge per SLA measure of the
// queue rules, red while it is breached (with its figure, target and since
// when), green while it is met. Nothing shows when the rules name no SLA.

import { api } from "../../api.js";
import { formatAge, formatTime, h, notice, replace } from "../../dom.js";
import { describe } from "../../messages.js";

const MEASURES = { oldest_pending: "oldest pending", first_review: "time to first review (p90)" };

function badge(m) {
  const what = `${m.sla}: ${MEASURES[m.measure] || m.measure}`;
  const figure = m.seconds === null ? "nothing to measure" : formatAge(m.seconds);
  const detail = m.breached
    ? `${figure}, over the ${formatAge(m.target_seconds)} target${m.breached_since ? ` since ${formatTime(m.breached_since)}` : ""}`
    : `${figure}, within ${formatAge(m.target_seconds)}`;
  return h("li", { class: ["sla-badge", m.breached ? "breached" : "met"], "data-sla": m.sla, "data-measure": m.measure },
    h("strong", null, m.breached ? "SLA breached" : "SLA met"), ` · ${what} · ${detail}`);
}

export function createSla() {
  const list = h("ul", { class: "sla-badges", id: "sla-badges", "aria-label": "Service levels" });
  const status = h("div", { id: "sla-status" });
  const element = h("div", { class: "sla", id: "sla" }, status, list);
  element.hidden = true;

  async function refresh() {
    try {
      const data = await api("/api/v1/sla");
      replace(status);
      // Breached first: the one to act on is the first one read.
      const measures = [...data.measures].sort((a, b) => Number(b.breached) - Number(a.breached));
      replace(list, measures.map(badge));
      element.hidden = measures.length === 0;
    } catch (error) {
      if (error.status === 401) return;
      const message = describe(error);
      element.hidden = false;
      replace(status, notice("warn", message.title, `${message.text} Service levels could not be read.`));
    }
  }

  return { element, refresh };
}
