// Reviewer statistics (#/stats): over a period, reviews, corrections, skips,
// escalations, the median time per review, decisions, reasons and QA agreement,
// as a table, four pygal charts and a file. Leads (their team, in its regions)
// and admins group them per reviewer, team or region; everyone else sees their
// own. The query is the URL's (stats/query.js): changing it goes to a new
// #/stats?… address, which mounts this view afresh, so Back, Forward, reload
// and a link sent on all show the same figures.

import { api } from "../api.js";
import { loadChart } from "../charts.js";
import { h, notice, replace, toast } from "../dom.js";
import { session } from "../session.js";
import { errorNotice, fetchAll, pageHead } from "./common.js";
import { exportFigures, FORMATS } from "./stats/export.js";
import {
  apiParams, DEFAULT_DAYS, fromHash, GROUPINGS, period, periodProblems, periodText, PRESETS, toHash,
} from "./stats/query.js";
import { createTable } from "./stats/table.js";

const NOUNS = { reviewer: "reviewer", team: "team", region: "region" };
const CHARTS = [
  {
    name: "reviews",
    alt: (noun, when) => `Bar chart: reviews and corrections per ${noun}, ${when}.`,
    caption: (noun) => `Reviews and corrections per ${noun}.`,
  },
  {
    name: "median-time",
    alt: (noun, when) => `Bar chart: median time per review in minutes and seconds per ${noun}, ${when}.`,
    caption: () => "Median time from first opening an event to submitting its review.",
  },
  {
    name: "decisions",
    alt: (noun, when) => `Stacked bar chart: first reviews by decision per ${noun}, ${when}.`,
    caption: (noun) => `First reviews per ${noun}, one colour per decision.`,
  },
  {
    name: "reasons",
    alt: (_noun, when) => `Bar chart: the ten reason codes given most, ${when}.`,
    caption: () => "The reason codes given most in first reviews.",
  },
];

/** A labelled control with the place its error shows. */
function field(id, label, control) {
  control.id = id;
  const error = h("p", { class: "field-error", id: `${id}-error` });
  control.setAttribute("aria-describedby", error.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, error);
}

/** <option>s: "all", then the choices; a chosen value not among them stays, as itself. */
function fillSelect(select, allText, choices, chosen) {
  const all = chosen && !choices.some(([value]) => value === chosen) ? [...choices, [chosen, chosen]] : choices;
  replace(select, h("option", { value: "" }, allText), all.map(([value, text]) => h("option", { value }, text)));
  select.value = chosen || "";
}

export function mount(container) {
  const query = fromHash(location.hash);
  const grouped = session.hasRole("lead", "admin");
  const admin = session.hasRole("admin");
  const groupBy = grouped ? query.group_by : "reviewer";
  const base = grouped ? "/api/v1/stats" : "/api/v1/me/stats";
  const controller = new AbortController();
  const signal = controller.signal;
  const shown = period(query);
  const when = periodText(query);
  const noun = NOUNS[groupBy];

  const status = h("div", { id: "stats-notice" });
  const since = h("input", { type: "date", value: shown.first || null, required: true });
  const until = h("input", { type: "date", value: shown.last || null, required: true });
  const grouping = h("select", null, GROUPINGS.map(([value, text]) => h("option", { value }, text)));
  grouping.value = groupBy;
  const region = h("select");
  const team = h("select");
  const presets = PRESETS.map((days) => {
    const active = !query.since && !query.until && (query.days || DEFAULT_DAYS) === days;
    const button = h("button", { class: "button small", type: "button", "aria-pressed": active ? "true" : "false" }, `Last ${days} days`);
    button.addEventListener("click", () => go({ ...collect(), since: "", until: "", days }));
    return button;
  });

  const ownRegions = [...(session.me.regions || [])].sort();
  fillSelect(region, admin ? "All regions" : "All your team's regions",
    admin ? [] : ownRegions.map((code) => [code, code.toUpperCase()]), query.region);
  fillSelect(team, "All teams", [], query.team);

  const form = h("form", { class: "filters stats-filters", id: "stats-form", "aria-label": "Statistics period and grouping", novalidate: true },
    h("div", { class: "stats-grid" },
      field("stats-since", "First day", since),
      field("stats-until", "Last day", until),
      grouped ? field("stats-group-by", "Group by", grouping) : null,
      grouped ? field("stats-region", "Region", region) : null,
      admin ? field("stats-team", "Team", team) : null),
    h("div", { class: "stats-actions" },
      h("button", { class: "button primary", type: "submit" }, "Show"),
      h("div", { class: "stats-presets", role: "group", "aria-label": "Presets" }, presets)),
  );

  const figures = createTable(groupBy);
  const exportButtons = FORMATS.map(([format, text]) => {
    const button = h("button", { class: "button small", type: "button", dataset: { format } }, text);
    button.addEventListener("click", () => download(button, format));
    return button;
  });
  const charts = CHARTS.map((chart) => {
    const img = h("img", { id: `stats-chart-${chart.name}`, alt: chart.alt(noun, when) });
    const caption = h("figcaption", null, chart.caption(noun));
    return { ...chart, img, caption, figure: h("figure", { class: "card chart-figure" }, h("div", { class: "chart-frame" }, img), caption) };
  });

  let subtitle;
  if (admin) subtitle = "Everyone's reviews, corrections, skips, escalations, time per review and QA agreement.";
  else if (grouped) subtitle = `The reviews, corrections, skips, escalations, time per review and QA agreement of your team${session.me.team ? ` (${session.me.team})` : ""}, in its regions.`;
  else subtitle = "Your own reviews, corrections, skips, escalations, time per review and QA agreement.";

  container.append(h("div", { class: "page" },
    pageHead(grouped ? "Reviewer statistics" : "My statistics", subtitle),
    status,
    h("div", { class: "stack" },
      h("section", { class: "card", "aria-labelledby": "stats-query-title" },
        h("div", { class: "card-head" }, h("h2", { id: "stats-query-title" }, "Period")),
        form),
      h("section", { class: "card", "aria-labelledby": "stats-figures-title" },
        h("div", { class: "card-head stats-figures-head" },
          h("h2", { id: "stats-figures-title" }, `Figures, ${when}`),
          h("div", { class: "stats-export" }, exportButtons)),
        figures.node),
    ),
    h("div", { class: "charts", id: "stats-charts" }, charts.map((c) => c.figure)),
  ));

  // ---- the query ----

  function collect() {
    // Days left as a preset gave them keep the preset: the link stays a rolling period.
    const rolling = !query.since && !query.until && since.value === shown.first && until.value === shown.last;
    return {
      since: rolling ? "" : since.value,
      until: rolling ? "" : until.value,
      days: rolling ? query.days || DEFAULT_DAYS : null,
      group_by: grouped ? grouping.value : "reviewer",
      region: grouped ? region.value : "",
      team: admin ? team.value : "",
    };
  }

  function clearErrors() {
    for (const spot of form.querySelectorAll(".field-error")) replace(spot);
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  function showProblems(problems) {
    for (const [key, message] of problems) {
      const control = form.querySelector(`#stats-${key}`);
      replace(form.querySelector(`#stats-${key}-error`), message);
      control.setAttribute("aria-invalid", "true");
    }
    replace(status, notice("error", "The period is not valid.", problems.map(([, message]) => message).join(" ")));
    form.querySelector(`#stats-${problems[0][0]}`).focus();
  }

  /** Another query is another address (hashchange mounts the view again); the same one loads again. */
  function go(next) {
    const hash = toHash(next);
    if (hash !== toHash(fromHash(location.hash))) {
      location.hash = hash;
      return;
    }
    replace(status);
    load();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors();
    const problems = periodProblems({ first: since.value, last: until.value });
    if (problems.length) {
      showProblems(problems);
      return;
    }
    go(collect());
  });

  // ---- choices that come from the server ----

  if (admin) {
    const list = (path) => fetchAll(path, { api: (p) => api(p, { signal }) });
    list("/api/v1/admin/regions").then((items) => {
      if (!signal.aborted) fillSelect(region, "All regions", items.map((r) => [r.code, r.code.toUpperCase()]), query.region);
    }, ignoreAbort);
    list("/api/v1/admin/teams").then((items) => {
      if (!signal.aborted) fillSelect(team, "All teams", items.map((t) => [t.name, t.name]), query.team);
    }, ignoreAbort);
  }

  function ignoreAbort(error) {
    if (error.name !== "AbortError" && error.status !== 401) replace(status, errorNotice(error));
  }

  // ---- the figures ----

  let params = null;

  async function load() {
    const problems = periodProblems(shown);
    if (problems.length) {
      figures.message("No figures: see the message above.");
      showProblems(problems);
      return;
    }
    params = apiParams(query, { grouped });
    const table = figures.node.querySelector("table");
    table.setAttribute("aria-busy", "true");
    for (const chart of charts) {
      loadChart(chart.img, `${base}/charts/${chart.name}.svg?${params}`).catch((error) => {
        if (error.name === "AbortError" || error.status === 401 || signal.aborted) return;
        replace(chart.caption, `${chart.caption(noun)} The chart could not be drawn.`);
      });
    }
    try {
      const data = await api(`${base}?${params}`, { signal });
      figures.render(data.groups);
    } catch (error) {
      if (error.name === "AbortError" || error.status === 401) return;
      figures.message("No figures: see the message above.");
      replace(status, errorNotice(error));
    } finally {
      table.removeAttribute("aria-busy");
    }
  }

  async function download(button, format) {
    if (!params) return;
    button.disabled = true;
    const stem = `${grouped ? `statistics-${groupBy}` : "my-statistics"}-${shown.first}-${shown.last}`;
    try {
      const name = await exportFigures(`${base}/export`, params, format, stem);
      toast(`Downloaded ${name}.`, "ok");
    } catch (error) {
      if (error.status === 401) return;
      replace(status, notice("error", error.title || "The export failed.", error.text || ""));
    } finally {
      button.disabled = false;
    }
  }

  load();
  return () => controller.abort();
}
