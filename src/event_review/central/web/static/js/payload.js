// The regional payload, shown readably: the dashcam frame, key fields, GPS,
// the sensor series and the raw JSON. The same skeleton is drawn while it
// loads, so nothing moves when the data arrive.

import { formatShortDateTime, h, humanize, notice, replace, s } from "./dom.js";
import { blurToggle, zoomableImage } from "./image-viewer.js";
import { seriesChart } from "./series-chart.js";

const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/webp"]);

const FIELDS = [
  ["Event type", (p) => humanize(p.event_type)],
  ["Occurred", (p) => formatShortDateTime(p.occurred_at)],
  ["Device", (p) => p.device_id],
  ["Severity", (p) => humanize(p.severity)],
  ["Vehicle class", (p) => humanize(p.vehicle_class)],
  ["Speed band", (p) => p.speed_band],
  ["GPS position", (p) => coordinates(p.location)],
  ["GPS accuracy", (p) => (p.location && typeof p.location.accuracy_m === "number" ? `± ${p.location.accuracy_m} m` : null)],
  ["Sensor rate", (p) => (p.sensors && p.sensors.sample_rate_hz ? `${p.sensors.sample_rate_hz} Hz` : null)],
];

function coordinates(location) {
  if (!location || typeof location.lat !== "number" || typeof location.lon !== "number") return null;
  const lat = `${Math.abs(location.lat).toFixed(5)}° ${location.lat >= 0 ? "N" : "S"}`;
  const lon = `${Math.abs(location.lon).toFixed(5)}° ${location.lon >= 0 ? "E" : "W"}`;
  return `${lat}, ${lon}`;
}

function residency(event) {
  const region = event.region_code.toUpperCase();
  return h("div", { class: "notice info residency", id: "residency" },
    s("svg", { class: "residency-icon", viewBox: "0 0 16 16", "aria-hidden": "true" },
      s("path", { d: "M8 1.5c-2.6 0-4.7 2-4.7 4.6 0 3.4 4.7 8.4 4.7 8.4s4.7-5 4.7-8.4C12.7 3.5 10.6 1.5 8 1.5zm0 6.4a1.8 1.8 0 1 1 0-3.6 1.8 1.8 0 0 1 0 3.6z" })),
    h("p", { class: "notice-body" },
      h("strong", null, `Regional data from ${region}. `),
      "Fetched from the region for this view only and not stored centrally; do not copy it elsewhere."),
  );
}

function skeletonText() {
  return h("span", { class: "skeleton skeleton-text" });
}

function fieldsTable(payload) {
  return h("table", { class: "fields", id: "payload-fields", "aria-label": "Key fields" },
    h("tbody", null, FIELDS.map(([label, get]) => {
      let value = null;
      if (payload) {
        try {
          value = get(payload);
        } catch {
          value = null;
        }
      }
      const text = value === null || value === undefined || value === "" ? "—" : String(value);
      // One line per row, loaded or not: the table never changes height.
      return h("tr", null, h("th", { scope: "row" }, label),
        h("td", { title: payload ? text : null }, payload ? text : skeletonText()));
    })),
  );
}

/** The frame and its caption line, the same in every state: nothing moves when the image arrives. */
function frame(content, caption, redraw = () => {}) {
  return h("div", null,
    h("div", { class: "frame", id: "payload-frame" }, content),
    h("div", { class: "frame-caption" }, h("span", { class: "frame-caption-text" }, caption), blurToggle(redraw)),
  );
}

function imageOf(payload) {
  const image = payload && payload.image;
  if (!image || typeof image.data_base64 !== "string" || !IMAGE_TYPES.has(image.mime)) return null;
  // Only characters of base64 may go into the data: URL.
  if (!/^[A-Za-z0-9+/=\s]+$/.test(image.data_base64)) return null;
  return image;
}

function chartBlock(content) {
  return h("div", { class: "chart-block" },
    h("div", { class: "event-title" },
      h("h3", null, "Sensors"),
      h("div", { class: "chart-legend", "aria-hidden": "true" },
        h("span", null, h("span", { class: "swatch speed" }), "speed"),
        h("span", null, h("span", { class: "swatch accel" }), "acceleration"),
      ),
    ),
    h("div", { id: "payload-chart" }, content),
  );
}

/** Long base64 strings make the raw view unreadable; the image is shown above. */
function forDisplay(payload) {
  return JSON.stringify(payload, (key, value) => {
    if (key === "data_base64" && typeof value === "string" && value.length > 80) {
      return `${value.slice(0, 48)}… (${value.length} characters, shown above)`;
    }
    return value;
  }, 2);
}

function raw(payload) {
  const details = h("details", { class: "raw", id: "payload-raw" },
    h("summary", null, "Raw payload (JSON)"),
    h("pre", null, h("code", null, payload ? forDisplay(payload) : "")),
  );
  if (!payload) details.setAttribute("aria-disabled", "true");
  return details;
}

export function renderPayloadLoading(body, event) {
  replace(body,
    residency(event),
    h("div", { class: "payload-grid", "aria-busy": "true" },
      frame(h("div", { class: "skeleton frame-note" }), "Loading the payload from the region…"),
      fieldsTable(null),
    ),
    chartBlock(h("div", { class: "skeleton skeleton-chart" })),
    raw(null),
  );
}

export function renderPayload(body, event, payload) {
  const image = imageOf(payload);
  const chart = seriesChart(payload && payload.sensors && payload.sensors.series);
  const redraw = () => renderPayload(body, event, payload);
  replace(body,
    residency(event),
    h("div", { class: "payload-grid" },
      image
        ? frame(zoomableImage(event.event_id, h("img", {
            src: `data:${image.mime};base64,${image.data_base64.replace(/\s/g, "")}`,
            alt: `Dashcam frame of the ${humanize(payload.event_type).toLowerCase()} event`,
            width: image.width || null,
            height: image.height || null,
            id: "payload-image",
          }), redraw), `Dashcam frame${image.width ? `, ${image.width} × ${image.height} px` : ""}`, redraw)
        : frame(h("p", { class: "frame-note" }, "No image in this payload."), "Dashcam frame", redraw),
      fieldsTable(payload),
    ),
    chartBlock(chart || h("p", { class: "muted skeleton-chart frame-note" }, "No sensor series in this payload.")),
    raw(payload),
  );
}

export function renderPayloadError(body, event, message, retry) {
  const button = h("button", { class: "button small", type: "button", id: "payload-retry" }, "Try again");
  button.addEventListener("click", retry);
  replace(body,
    residency(event),
    notice("error", message.title, message.text, [button]),
    h("div", { class: "payload-grid" },
      frame(h("p", { class: "frame-note" }, "Not available"), "Dashcam frame"),
      fieldsTable({}),
    ),
    chartBlock(h("p", { class: "muted skeleton-chart frame-note" }, "Not available")),
    raw(null),
  );
}
