// A code cell's chart as a static SVG image: what a reader without JavaScript sees,
// what prints, and what stands in the chart's place until Plotly draws the live one
// (static/js/chart.js) as it nears the view. Pure: a figure made by plot_xy in, SVG
// text out. Only the build runs it, under Node, for the output printed into the page
// (a Run's charts are Plotly's at once). Colours come from the page's CSS (each
// series group is coloured var(--series-N), the live chart's palette, and drawn in
// currentColor), so the image follows the theme and prints.

import { linearTicks, logTicks, seriesColor } from "./ticks.js";

const WIDTH = 600;
const HEIGHT = 300;
const MARGIN = { left: 66, right: 16, top: 14, bottom: 50 }; // top grows by a band for the title and one for the legend
const BAND = 22;
const MAX_MARKERS = 60; // points drawn as dots; longer series are drawn as lines only

const escape = (text) =>
  String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const fixed = (v) => Number(v.toFixed(1));
/** The opening tag of series `i`'s group: its paths and dots take the series' colour. */
const seriesGroup = (i) => `<g class="series" style="color:var(${seriesColor(i)})">`;

/** The axis's scale: data value → pixel, with its ticks; null when nothing can be drawn. */
function scale(values, { type = "linear" } = {}, [from, to], most) {
  const log = type === "log";
  const usable = values.filter((v) => typeof v === "number" && Number.isFinite(v) && (!log || v > 0));
  if (!usable.length) return null;
  const lo = Math.min(...usable);
  const hi = Math.max(...usable);
  const ticks = log ? logTicks(usable, most) : linearTicks(Math.min(lo, 0 < lo && lo < hi / 4 ? 0 : lo), hi, most);
  const position = log ? Math.log10 : (v) => v;
  const ends = [lo, hi, ...ticks.tickvals].map(position);
  let [min, max] = [Math.min(...ends), Math.max(...ends)];
  if (min === max) [min, max] = [min - 1, max + 1];
  const pad = (max - min) * 0.04;
  [min, max] = [min - pad, max + pad];
  const at = (v) => (log && !(v > 0)) || v === null || !Number.isFinite(v)
    ? null
    : from + ((position(v) - min) / (max - min)) * (to - from);
  return { at, ticks };
}

/**
 * The figure as SVG text, `WIDTH` × `HEIGHT` user units, scaled to its box by CSS.
 * Null values leave gaps in a line; points that a log axis cannot show are left out.
 */
export function chartImage(figure) {
  const layout = figure.layout ?? {};
  const xaxis = layout.xaxis ?? {};
  const yaxis = layout.yaxis ?? {};
  const traces = figure.traces ?? [];
  const named = traces.map((t, i) => [t.name, i]).filter(([name]) => name);
  const legend = named.length > 1;
  const top = MARGIN.top + (layout.title ? BAND : 0) + (legend ? BAND : 0);
  const plot = { left: MARGIN.left, right: WIDTH - MARGIN.right, top, bottom: HEIGHT - MARGIN.bottom };
  const x = scale(traces.flatMap((t) => t.x), xaxis, [plot.left, plot.right], 8);
  const y = scale(traces.flatMap((t) => t.y), yaxis, [plot.bottom, plot.top], 6);
  const parts = [];
  if (x && y) {
    const grid = [];
    const labels = [];
    x.ticks.tickvals.forEach((v, i) => {
      const px = fixed(x.at(v));
      grid.push(`M${px} ${plot.top}V${plot.bottom}`);
      labels.push(`<text x="${px}" y="${plot.bottom + 18}" text-anchor="middle">${escape(x.ticks.ticktext[i])}</text>`);
    });
    y.ticks.tickvals.forEach((v, i) => {
      const py = fixed(y.at(v));
      grid.push(`M${plot.left} ${py}H${plot.right}`);
      labels.push(`<text x="${plot.left - 8}" y="${py + 4}" text-anchor="end">${escape(y.ticks.ticktext[i])}</text>`);
    });
    parts.push(`<path class="grid" d="${grid.join("")}"/>`);
    parts.push(`<path class="axis" d="M${plot.left} ${plot.top}V${plot.bottom}H${plot.right}"/>`);
    parts.push(`<g class="ticks">${labels.join("")}</g>`);
    traces.forEach((trace, i) => {
      const points = trace.x.map((xv, k) => [x.at(xv), y.at(trace.y[k])]);
      let d = "";
      let pen = false;
      for (const [px, py] of points) {
        if (px === null || py === null) {
          pen = false;
          continue;
        }
        d += `${pen ? "L" : "M"}${fixed(px)} ${fixed(py)}`;
        pen = true;
      }
      const dots = points.length <= MAX_MARKERS
        ? points.filter(([px, py]) => px !== null && py !== null)
          .map(([px, py]) => `<circle cx="${fixed(px)}" cy="${fixed(py)}" r="3"/>`).join("")
        : "";
      parts.push(`${seriesGroup(i)}<path d="${d}"/>${dots}</g>`);
    });
  }
  const mid = (plot.left + plot.right) / 2;
  if (layout.title) parts.push(`<text class="heading" x="${WIDTH / 2}" y="${MARGIN.top + 6}" text-anchor="middle">${escape(layout.title)}</text>`);
  if (legend) {
    // entries side by side, centred, each a short line in its series' colour and the name
    const widths = named.map(([name]) => 30 + 6.5 * String(name).length + 18);
    let left = Math.max(4, (WIDTH - widths.reduce((a, b) => a + b, 0)) / 2);
    const row = MARGIN.top + (layout.title ? BAND : 0) + 8;
    const entries = named.map(([name, i], k) => {
      const entry = `${seriesGroup(i)}<path d="M${fixed(left)} ${row - 4}h22"/><circle cx="${fixed(left + 11)}" cy="${row - 4}" r="3"/></g>`
        + `<text x="${fixed(left + 28)}" y="${row}">${escape(name)}</text>`;
      left += widths[k];
      return entry;
    });
    parts.push(`<g class="legend">${entries.join("")}</g>`);
  }
  parts.push(`<text class="title" x="${mid}" y="${HEIGHT - 10}" text-anchor="middle">${escape(xaxis.title ?? "")}</text>`);
  parts.push(`<text class="title" transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(yaxis.title ?? "")}</text>`);
  return `<svg class="plot-image" viewBox="0 0 ${WIDTH} ${HEIGHT}" xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false">${parts.join("")}</svg>`;
}
