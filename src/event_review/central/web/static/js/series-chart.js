// The payload's sensor time series as a small inline SVG, drawn in the browser.
//
// Why not a pygal chart like the dashboard's: pygal draws on the server, so
// the payload would have to be sent back to the centre to be drawn. Payloads
// stay in their region; the centre only streams them through to the reviewer.
// Drawing here keeps the data between the region and this screen.

import { s } from "./dom.js";

const WIDTH = 640;
const HEIGHT = 196;
const LEFT = 46;
const RIGHT = 14;
const SPEED = { top: 22, bottom: 104 };
const ACCEL = { top: 130, bottom: 170 };
const AXIS_Y = 188;

function finite(value) {
  return typeof value === "number" && Number.isFinite(value);
}

function niceCeil(value, step) {
  return Math.ceil(value / step) * step;
}

function scale(domainMin, domainMax, rangeMin, rangeMax) {
  const span = domainMax - domainMin || 1;
  return (value) => rangeMin + ((value - domainMin) / span) * (rangeMax - rangeMin);
}

function points(samples, x, y, key) {
  return samples
    .filter((p) => finite(p[key]))
    .map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`)
    .join(" ");
}

function label(x, y, text, attrs = {}) {
  return s("text", { x, y, ...attrs }, text);
}

/**
 * series: [{t, speed_kmh, accel_g}, ...] -> an <svg> element, or null when
 * there is nothing to draw.
 */
export function seriesChart(series) {
  const samples = (Array.isArray(series) ? series : []).filter((p) => p && finite(p.t));
  if (samples.length < 2) return null;
  samples.sort((a, b) => a.t - b.t);

  const t0 = samples[0].t;
  const t1 = samples[samples.length - 1].t;
  const x = scale(t0, t1, LEFT, WIDTH - RIGHT);

  const speeds = samples.map((p) => p.speed_kmh).filter(finite);
  const accels = samples.map((p) => p.accel_g).filter(finite);
  const speedMax = Math.max(10, niceCeil(Math.max(...speeds, 0), 10));
  const ySpeed = scale(0, speedMax, SPEED.bottom, SPEED.top);
  const accelMax = Math.max(0.5, niceCeil(Math.max(...accels.map(Math.abs), 0), 0.5));
  const yAccel = scale(-accelMax, accelMax, ACCEL.bottom, ACCEL.top);

  const summary = [
    speeds.length ? `speed from ${speeds[0]} to ${speeds[speeds.length - 1]} km/h (peak ${Math.max(...speeds)})` : null,
    accels.length ? `acceleration between ${Math.min(...accels)} and ${Math.max(...accels)} g` : null,
  ].filter(Boolean).join("; ");
  const description = `Sensor series over ${(t1 - t0).toFixed(1)} s: ${summary}.`;

  const ticks = [];
  for (let t = Math.ceil(t0); t <= t1 + 1e-9; t += 1) ticks.push(t);

  return s("svg", {
    class: "series-chart",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-label": description,
  },
    s("title", null, description),
    // Speed panel.
    label(LEFT, SPEED.top - 8, "Speed (km/h)", { class: "label" }),
    s("line", { class: "grid", x1: LEFT, x2: WIDTH - RIGHT, y1: ySpeed(speedMax / 2), y2: ySpeed(speedMax / 2) }),
    s("line", { class: "grid", x1: LEFT, x2: WIDTH - RIGHT, y1: ySpeed(speedMax), y2: ySpeed(speedMax) }),
    s("line", { class: "axis", x1: LEFT, x2: WIDTH - RIGHT, y1: ySpeed(0), y2: ySpeed(0) }),
    label(LEFT - 6, ySpeed(speedMax) + 4, String(speedMax), { "text-anchor": "end" }),
    label(LEFT - 6, ySpeed(speedMax / 2) + 4, String(speedMax / 2), { "text-anchor": "end" }),
    label(LEFT - 6, ySpeed(0) + 4, "0", { "text-anchor": "end" }),
    s("polyline", { class: "speed", points: points(samples, x, ySpeed, "speed_kmh") }),
    // Acceleration panel.
    label(LEFT, ACCEL.top - 8, "Acceleration (g)", { class: "label" }),
    s("line", { class: "zero", x1: LEFT, x2: WIDTH - RIGHT, y1: yAccel(0), y2: yAccel(0) }),
    label(LEFT - 6, yAccel(accelMax) + 4, `+${accelMax}`, { "text-anchor": "end" }),
    label(LEFT - 6, yAccel(0) + 4, "0", { "text-anchor": "end" }),
    label(LEFT - 6, yAccel(-accelMax) + 4, `−${accelMax}`, { "text-anchor": "end" }),
    s("polyline", { class: "accel", points: points(samples, x, yAccel, "accel_g") }),
    // Time axis.
    s("line", { class: "axis", x1: LEFT, x2: WIDTH - RIGHT, y1: ACCEL.bottom + 4, y2: ACCEL.bottom + 4 }),
    ticks.map((t) => label(x(t), AXIS_Y, `${t} s`, { "text-anchor": "middle" })),
  );
}
