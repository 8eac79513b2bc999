// Event search (#/search) for leads and admins: events and their review
// outcomes by region, status, type, device, decision, reason, reviewer and
// time, newest first, paged by cursor. The filters are the URL's
// (search/filters.js): submitting the form goes to a new #/search?… address,
// which mounts this view afresh, so a search can be bookmarked, sent on, and
// stepped back and forth through with the browser's own buttons.

import { api } from "../api.js";
import { formatDateTime, h, humanize, notice, replace, toast } from "../dom.js";
import { session } from "../session.js";
import { cursorPager, errorNotice, fetchAll, messageRow, pageHead, PAGE_SIZE, table } from "./common.js";
import { downloadJob, exportSearch, fileName, FORMATS, progressText } from "./search/export.js";
import {
  fromHash, instant, localInput, RANGES, rangeProblems, SORTS, STATUSES, toHash, toParams,
} from "./search/filters.js";
import { currentForms, decisionGroups, labeller, reasonGroups } from "./search/forms.js";

const COLUMNS = ["Event", "Ingested", "Occurred", "Region", "Type", "Device", "Status", "Decision", "Reasons", "Reviewed"];
const LABELS = {
  region: "Regions",
  status: "Status",
  event_type: "Event type",
  device_id: "Device",
  external_event_id: "External id",
  decision: "Decision",
  reason: "Reason",
  reviewer: "Reviewer",
  occurred_from: "Occurred from",
  occurred_until: "Occurred until",
  ingested_from: "Ingested from",
  ingested_until: "Ingested until",
  reviewed_from: "Reviewed from",
  reviewed_until: "Reviewed until",
  sort: "Sort",
};
const TEXT_FIELDS = [
  ["event_type", "e.g. collision"],
  ["device_id", "a device id"],
  ["external_event_id", "the region's id"],
  ["reviewer", "a username"],
];

const dash = () => h("span", { class: "subtle" }, "—");

function firstUpper(text) {
  const value = String(text || "").trim();
  return value ? value.charAt(0).toUpperCase() + value.slice(1) : "";
}

/** The control's field: label, control, and the place its error shows. */
function field(key, control, hint = null) {
  const error = h("p", { class: "field-error", id: `search-${key}-error` });
  control.setAttribute("aria-describedby", error.id);
  return h("div", { class: "field", dataset: { field: key } },
    h("label", { for: control.id }, LABELS[key], hint ? h("span", { class: "hint" }, ` ${hint}`) : null),
    control, error);
}

/** A group of checkboxes with a legend, its error below it. */
function checkGroup(key, choices, chosen) {
  const error = h("p", { class: "field-error", id: `search-${key}-error` });
  const boxes = h("div", { class: "checks" });
  const group = h("fieldset", { class: "search-checks", id: `search-${key}`, "aria-describedby": error.id },
    h("legend", null, LABELS[key]), boxes, error);
  const fill = (items) => replace(boxes, items.length
    ? items.map(([value, text]) => {
        const id = `search-${key}-${value}`;
        return h("label", { for: id },
          h("input", { type: "checkbox", id, value, checked: chosen.includes(value) ? true : null }), text);
      })
    : h("span", { class: "muted" }, key === "region" ? "Your team reviews no region yet" : "None"));
  fill(choices);
  return { group, fill, values: () => [...boxes.querySelectorAll("input:checked")].map((c) => c.value) };
}

/** <select> options: "any", then groups of [value, text]; a chosen value no group has is kept, as itself. */
function fillSelect(select, anyText, groups, chosen) {
  const known = groups.some((g) => g.options.some(([value]) => value === chosen));
  replace(select,
    h("option", { value: "" }, anyText),
    chosen && !known ? h("option", { value: chosen }, chosen) : null,
    groups.map((g) => h("optgroup", { label: g.label }, g.options.map(([value, text]) => h("option", { value }, text)))));
  select.value = chosen;
}

async function visibleRegions(signal) {
  if (!session.hasRole("admin")) return [...(session.me.regions || [])].sort();
  const regions = await fetchAll("/api/v1/admin/regions", { api: (path) => api(path, { signal }) });
  return regions.map((r) => r.code);
}

function statusCell(event) {
  const text = (STATUSES.find(([value]) => value === event.status) || [null, humanize(event.status)])[1];
  return h("span", { class: "nowrap" },
    h("span", { class: ["badge", event.status === "completed" ? "ok" : null] }, text),
    event.queue === "escalated" ? h("span", { class: "subtle" }, " escalated") : null);
}

function reviewedCell(event) {
  if (!event.reviewed_at) return dash();
  const mine = event.review_user_id === session.me.user_id;
  const by = mine ? "by you" : event.review_user_id ? `by ${event.review_user_id.slice(0, 8)}…` : null;
  return h("span", null,
    h("span", { class: "nowrap" }, formatDateTime(event.reviewed_at)),
    by ? h("span", { class: "subtle search-by", title: mine ? null : `Reviewer id ${event.review_user_id}` }, by) : null);
}

function resultRow(event, labels) {
  const reasons = labels.reasons(event.review_form_key, event.review_answers);
  return h("tr", { dataset: { eventId: event.event_id } },
    h("td", null, h("a", { href: `#/events/${event.event_id}`, class: "mono search-event", title: event.external_event_id }, event.external_event_id)),
    h("td", { class: "nowrap" }, formatDateTime(event.created_at)),
    h("td", { class: "nowrap" }, formatDateTime(event.occurred_at)),
    h("td", null, h("span", { class: "badge region" }, event.region_code.toUpperCase())),
    h("td", null, humanize(event.event_type)),
    h("td", null, event.device_id ? h("span", { class: "mono" }, event.device_id) : dash()),
    h("td", null, statusCell(event)),
    h("td", null, event.review_decision ? labels.decision(event.review_form_key, event.review_decision) : dash()),
    h("td", null, reasons || dash()),
    h("td", null, reviewedCell(event)),
  );
}

export function mount(container) {
  const filters = fromHash(location.hash);
  const state = { cursors: [null] };
  const controller = new AbortController();
  const signal = controller.signal;
  let loads = 0;

  const regions = checkGroup("region", filters.region.map((code) => [code, code.toUpperCase()]), filters.region);
  const statuses = checkGroup("status", STATUSES, filters.status);
  const controls = {};
  for (const [key, placeholder] of TEXT_FIELDS) {
    controls[key] = h("input", {
      type: "text", id: `search-${key}`, placeholder, value: filters[key] || null,
      autocomplete: "off", autocapitalize: "none", spellcheck: "false",
    });
  }
  controls.decision = h("select", { id: "search-decision" });
  controls.reason = h("select", { id: "search-reason" });
  fillSelect(controls.decision, "Any decision", [], filters.decision);
  fillSelect(controls.reason, "Any reason", [], filters.reason);
  for (const [from, until] of RANGES) {
    for (const key of [from, until]) {
      controls[key] = h("input", { type: "datetime-local", id: `search-${key}`, step: "1", value: localInput(filters[key]) || null });
    }
  }
  controls.sort = h("select", { id: "search-sort" }, SORTS.map(([value, text]) => h("option", { value }, text)));
  controls.sort.value = SORTS.some(([value]) => value === filters.sort) ? filters.sort : SORTS[0][0];

  const status = h("div", { id: "search-notice" });
  const body = h("tbody", null, messageRow(COLUMNS.length, "Searching…"));
  const foot = h("div");
  const exportButtons = FORMATS.map(([format, text]) => {
    const button = h("button", { class: "button small", type: "button", dataset: { format } }, text);
    button.addEventListener("click", () => download(button, format));
    return button;
  });
  // The background export's progress, then its download link; read out as it changes.
  const exportStatus = h("div", { class: "search-export-status", id: "search-export-status", role: "status", "aria-live": "polite" });
  const clear = h("button", { class: "button", type: "button" }, "Clear");
  // The filters used less often fold away (a phone has no room for a dozen), open when one is set.
  const moreKeys = ["device_id", "external_event_id", ...RANGES.flatMap(([from, until]) => [from, until])];
  const more = h("details", { class: "search-more", open: moreKeys.some((key) => filters[key]) ? true : null },
    h("summary", null, "More filters ", h("span", { class: "hint" }, "device, external id, times")),
    h("div", { class: "search-grid" },
      field("device_id", controls.device_id),
      field("external_event_id", controls.external_event_id),
      RANGES.flatMap(([from, until]) => [
        field(from, controls[from], "your time"),
        field(until, controls[until], "not included"),
      ])),
  );
  const form = h("form", { class: "filters search-filters", id: "search-form", "aria-label": "Search events", novalidate: true },
    h("div", { class: "search-grid" },
      regions.group,
      statuses.group,
      field("event_type", controls.event_type),
      field("decision", controls.decision),
      field("reason", controls.reason),
      field("reviewer", controls.reviewer),
      field("sort", controls.sort)),
    more,
    h("div", { class: "search-actions" },
      h("button", { class: "button primary", type: "submit" }, "Search"),
      clear),
  );

  const admin = session.hasRole("admin");
  container.append(h("div", { class: "page" },
    pageHead("Search events",
      admin ? "Events of every region and their reviews, newest first. Every search is a link: copy it to share it."
        : "Events of your team's regions and their reviews, newest first. Every search is a link: copy it to share it."),
    status,
    h("div", { class: "stack" },
      h("section", { class: "card", "aria-labelledby": "search-filters-title" },
        h("div", { class: "card-head" }, h("h2", { id: "search-filters-title" }, "Filters")),
        form),
      h("section", { class: "card", "aria-labelledby": "search-results-title" },
        h("div", { class: "card-head search-results-head" },
          h("h2", { id: "search-results-title" }, "Results"),
          h("div", { class: "search-export" }, exportButtons)),
        exportStatus,
        table("search-table", COLUMNS, body),
        foot,
      ),
    ),
  ));

  // ---- errors in place ----

  const errorSpots = () => [...form.querySelectorAll(".field-error")];
  function clearErrors() {
    for (const spot of errorSpots()) replace(spot);
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }
  /** Put each [key, message] beside its field; those of no field are returned. */
  function showFieldErrors(problems) {
    const elsewhere = [];
    for (const [key, message] of problems) {
      const spot = form.querySelector(`#search-${key}-error`);
      if (!spot) {
        elsewhere.push(message);
        continue;
      }
      replace(spot, spot.textContent ? `${spot.textContent} ${message}` : message);
      if (more.contains(spot)) more.open = true;
      const control = form.querySelector(`#search-${key}`);
      if (control && control.tagName !== "FIELDSET") control.setAttribute("aria-invalid", "true");
    }
    const named = [...new Set(problems.map(([key]) => LABELS[key]).filter(Boolean))];
    replace(status, notice("error", "Some filters are not valid.",
      [named.length ? `Check: ${named.join(", ")}.` : "", ...elsewhere].filter(Boolean).join(" ")));
    const first = problems.map(([key]) => form.querySelector(`#search-${key}`)).find(Boolean);
    if (first) (first.tagName === "FIELDSET" ? first.querySelector("input") || first : first).focus();
  }
  function showError(error) {
    replace(body, messageRow(COLUMNS.length, "No results: see the message above."));
    replace(foot);
    if (error.status === 422 && Array.isArray(error.details) && error.details.length) {
      showFieldErrors(error.details.map((d) => {
        const loc = Array.isArray(d.loc) ? d.loc : [];
        const key = loc[0] === "query" ? String(loc[1]) : String(loc[0] || "");
        return [key, firstUpper(d.msg || error.message)];
      }));
      return;
    }
    replace(status, errorNotice(error));
  }

  // ---- searching ----

  function collect() {
    const next = { region: regions.values(), status: statuses.values() };
    for (const [key] of TEXT_FIELDS) next[key] = controls[key].value.trim();
    next.decision = controls.decision.value;
    next.reason = controls.reason.value;
    for (const [from, until] of RANGES) {
      next[from] = instant(controls[from].value);
      next[until] = instant(controls[until].value);
    }
    next.sort = controls.sort.value;
    return next;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = collect();
    clearErrors();
    const problems = rangeProblems(next);
    if (problems.length) {
      showFieldErrors(problems);
      return;
    }
    go(toHash(next));
  });
  clear.addEventListener("click", () => go("#/search"));

  /** Another search is another address (hashchange mounts the view again); the same one runs again. */
  function go(hash) {
    if (hash !== toHash(fromHash(location.hash))) {
      location.hash = hash;
      return;
    }
    replace(status);
    state.cursors = [null];
    load();
  }

  const forms = currentForms({ signal }).catch((error) => {
    if (error.name !== "AbortError") console.warn("forms unavailable for the search's choices", error);
    return [];
  });
  forms.then((list) => {
    if (signal.aborted) return;
    fillSelect(controls.decision, "Any decision", decisionGroups(list), filters.decision);
    fillSelect(controls.reason, "Any reason", reasonGroups(list), filters.reason);
  });
  visibleRegions(signal).then((codes) => {
    if (signal.aborted) return;
    // A region the link names stays a choice even if it is not one of the caller's: the search says why not.
    const all = [...new Set([...codes, ...filters.region])];
    regions.fill(all.map((code) => [code, code.toUpperCase()]));
  }, (error) => {
    if (error.name !== "AbortError" && error.status !== 401) replace(status, errorNotice(error));
  });

  async function load() {
    const seq = ++loads;
    const params = toParams(filters);
    params.set("limit", String(PAGE_SIZE));
    const cursor = state.cursors[state.cursors.length - 1];
    if (cursor) params.set("cursor", cursor);
    body.closest("table").setAttribute("aria-busy", "true");
    try {
      const [page, list] = await Promise.all([api(`/api/v1/search/events?${params}`, { signal }), forms]);
      if (seq !== loads) return;
      const labels = labeller(list);
      replace(body, page.items.length
        ? page.items.map((event) => resultRow(event, labels))
        : messageRow(COLUMNS.length, "No events match these filters."));
      replace(foot, cursorPager(state, load, { count: page.items.length, nextCursor: page.next_cursor }));
    } catch (error) {
      if (error.name === "AbortError" || error.status === 401 || seq !== loads) return;
      showError(error);
    } finally {
      if (seq === loads) body.closest("table").removeAttribute("aria-busy");
    }
  }

  function showProgress(job) {
    const bar = h("progress", { max: String(job.rows_total || 1), value: String(job.rows_written), "aria-label": "Export progress" });
    if (job.rows_total === null) bar.removeAttribute("value");  // not counted yet: under way
    replace(exportStatus, h("span", { class: "search-export-progress" }, bar, " ", progressText(job)));
  }

  function offerDownload(job) {
    const name = fileName(job);
    const link = h("a", { href: job.download_url, class: "button small", id: "search-export-download", download: name },
      `Download ${name}`);
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      try {
        toast(`Downloaded ${await downloadJob(job)}.`, "ok");
      } catch (error) {
        if (error.status !== 401) replace(status, notice("error", error.title || "The download failed.", error.text || ""));
      }
    });
    replace(exportStatus, h("span", { class: "search-export-done" },
      `Export ready: ${job.rows_written.toLocaleString()} rows. `, link));
  }

  async function download(button, format) {
    for (const b of exportButtons) b.disabled = true;
    replace(status);
    replace(exportStatus, "Starting the export…");
    try {
      offerDownload(await exportSearch(toParams(filters), format, { progress: showProgress, signal }));
    } catch (error) {
      if (error.status === 401 || error.name === "AbortError") return;
      replace(exportStatus);
      replace(status, notice("error", error.title || "The export failed.", error.text || ""));
    } finally {
      for (const b of exportButtons) b.disabled = false;
    }
  }

  load();
  return () => controller.abort();
}
