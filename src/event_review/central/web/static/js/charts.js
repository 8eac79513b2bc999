// Dashboard charts are SVGs drawn by pygal on the server. They need the
// bearer token, which an <img src> cannot send, so they are fetched and shown
// as data: URLs (the CSP allows data: images; an SVG shown as an image runs
// no script).

import { api } from "./api.js";

const cache = new Map(); // path -> last SVG text, to skip redrawing what did not change

export async function loadChart(img, path) {
  const svg = await api(path, { as: "text" });
  if (cache.get(path) === svg && img.src) return;
  cache.set(path, svg);
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
