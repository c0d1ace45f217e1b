// Drawing one code-cell chart with Plotly (loaded by plots.js when a chart nears the
// viewport, so none of this is fetched with the page).
//
// Each chart's title and legend are HTML above the plot, so they wrap on a phone and
// never meet the axis titles or Plotly's toolbar, which sits in a band of its own
// above the plot area. The toolbar is one tab stop (arrow keys move inside it). Log
// axes get ticks a reader can read: 256, 512, 1K, 2K … on a power-of-two axis, and
// 1, 10, 100, 10⁴ … otherwise.

import { shortTokens } from "./instruments/format.js";
import { themeColors } from "./instruments/widget.js";

// ── ticks of a log axis (pure: no DOM) ───────────────────────────────────────

const SUPERSCRIPTS = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

function superscript(k) {
  return [...String(k)].map((c) => SUPERSCRIPTS[c]).join("");
}

/**
 * Labels for the ticks of a decimal log axis, one style for the whole axis: plain
 * digits when every tick lies between 0.0001 and 99,999 (0.01, 20, 5,000), else
 * powers of ten (10⁻⁶, 2×10¹²).
 */
export function decimalLabels(values) {
  const plain = values.every((v) => v >= 1e-4 && v < 1e5);
  return values.map((v) => {
    if (plain) return Number(v.toPrecision(3)).toLocaleString("en-US", { maximumFractionDigits: 6 });
    const k = Math.floor(Math.log10(v) + 1e-9);
    const mantissa = Number((v / 10 ** k).toPrecision(3));
    return `${mantissa === 1 ? "" : `${mantissa}×`}10${superscript(k)}`;
  });
}

/** At most `most` of `items`, evenly spaced, always keeping the last (the largest). */
function thin(items, most) {
  const last = items.length - 1;
  const step = Math.max(1, Math.ceil(last / Math.max(most - 1, 1)));
  return items.filter((_, i) => (last - i) % step === 0);
}

/**
 * Tick positions and labels for a log axis over `values`, at most about `most`
 * of them. Powers of two up to 2³⁰ (token counts, widths) are labelled 256, 512,
 * 1K … 1M; other data get powers of ten, with 2 and 5 between them when that
 * leaves fewer than three ticks, and every digit when even that does.
 * Returns null when no value is positive.
 */
export function logTicks(values, most = 8) {
  const positive = values.filter((v) => typeof v === "number" && Number.isFinite(v) && v > 0);
  if (!positive.length) return null;
  const lo = Math.min(...positive);
  const hi = Math.max(...positive);
  const binary = positive.every((v) => Number.isInteger(v) && Number.isInteger(Math.log2(v)));
  if (binary && hi > lo && hi <= 2 ** 30) {
    const exponents = [];
    for (let e = Math.log2(lo); e <= Math.log2(hi); e += 1) exponents.push(e);
    const tickvals = thin(exponents, most).map((e) => 2 ** e);
    return { tickvals, ticktext: tickvals.map((v) => shortTokens(v)) };
  }
  const first = Math.floor(Math.log10(lo) + 1e-9);
  const last = Math.ceil(Math.log10(hi) - 1e-9);
  const within = (mantissas) => {
    const found = [];
    for (let k = first; k <= last; k += 1) {
      for (const m of mantissas) {
        const v = Number((m * 10 ** k).toPrecision(3));
        if (v >= lo / 1.001 && v <= hi * 1.001) found.push(v);
      }
    }
    return found;
  };
  // powers of ten alone, unless that leaves fewer than three ticks in the data's range
  let ticks = [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]].map(within).find((t) => t.length >= 3) ?? within([1, 2, 5]);
  if (ticks.length < 2) ticks = [...new Set([Number(lo.toPrecision(2)), Number(hi.toPrecision(2))])];
  const tickvals = thin(ticks, most);
  return { tickvals, ticktext: decimalLabels(tickvals) };
}

// ── the figure ────────────────────────────────────────────────────────────────

/** Plotly traces and layout for a figure made by plot_xy, for a chart `width` × `height` px. */
export function plotlyFigure(figure, { width = 600, height = 288 } = {}) {
  const colors = themeColors();
  const palette = [colors.accent, colors.link, colors.ink2];
  const axis = (a, values, room) => {
    const spec = {
      title: { text: a.title || "", standoff: 8 },
      type: a.type || "linear",
      automargin: true,
      gridcolor: colors.rule,
      zerolinecolor: colors.rule,
      linecolor: colors.ink2,
      exponentformat: "power",
    };
    const ticks = spec.type === "log" ? logTicks(values, room) : null;
    if (ticks) Object.assign(spec, { tickmode: "array", ...ticks });
    return spec;
  };
  const xs = figure.traces.flatMap((t) => t.x);
  const ys = figure.traces.flatMap((t) => t.y);
  return {
    data: figure.traces.map((t, i) => ({
      ...t,
      type: "scatter",
      line: { color: palette[i % palette.length], width: 2 },
      marker: { size: 6 },
    })),
    colors: figure.traces.map((_, i) => palette[i % palette.length]),
    layout: {
      xaxis: axis(figure.layout.xaxis || {}, xs, Math.floor((width - 70) / 48)),
      yaxis: axis(figure.layout.yaxis || {}, ys, Math.floor((height - 80) / 28)),
      // the top band holds the toolbar, clear of the plot; title and legend are HTML
      margin: { l: 56, r: 12, t: 34, b: 44 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: colors.ink, family: "system-ui, sans-serif", size: 12 },
      showlegend: false,
      autosize: true,
    },
    config: {
      displaylogo: false,
      responsive: true,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d"],
    },
  };
}

/** The chart's title and legend, as HTML just above the chart. */
function heading(element, figure, colors) {
  let head = element.previousElementSibling;
  if (!head?.classList.contains("plot-head")) {
    head = document.createElement("div");
    head.className = "plot-head";
    element.before(head);
  }
  head.replaceChildren();
  if (figure.layout.title) {
    const title = document.createElement("p");
    title.className = "plot-title";
    title.textContent = figure.layout.title;
    head.append(title);
  }
  const named = figure.traces.map((t, i) => [t.name, colors[i]]).filter(([name]) => name);
  if (named.length > 1) {
    const legend = document.createElement("ul");
    legend.className = "plot-legend";
    legend.setAttribute("aria-label", "Legend");
    for (const [name, color] of named) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "plot-swatch";
      swatch.style.setProperty("--swatch", color);
      swatch.setAttribute("aria-hidden", "true");
      item.append(swatch, name);
      legend.append(item);
    }
    head.append(legend);
  }
}

/** Plotly's toolbar as one tab stop: the arrow keys, Home and End move within it. */
function oneTabStop(element) {
  const toolbar = element.querySelector(".modebar");
  if (!toolbar) return;
  toolbar.setAttribute("aria-label", "Chart tools (arrow keys move between them)");
  const buttons = [...toolbar.querySelectorAll(".modebar-btn")];
  if (!buttons.some((b) => b.tabIndex === 0 && b.dataset.roving)) {
    buttons.forEach((b, i) => {
      b.tabIndex = i === 0 ? 0 : -1;
      b.dataset.roving = "1";
    });
  }
  if (toolbar.dataset.keys) return;
  toolbar.dataset.keys = "1";
  toolbar.addEventListener("keydown", (event) => {
    const all = [...toolbar.querySelectorAll(".modebar-btn")];
    const at = all.indexOf(document.activeElement);
    if (at < 0) return;
    const to = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: all.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = all[(to + all.length) % all.length];
    all.forEach((b) => (b.tabIndex = b === next ? 0 : -1));
    next.focus();
  });
}

/** Draw `figure` into `element` with `Plotly`, now. */
export async function drawChart(Plotly, element, figure) {
  const box = element.getBoundingClientRect();
  const { data, layout, config, colors } = plotlyFigure(figure, {
    width: box.width || 600,
    height: box.height || 288,
  });
  heading(element, figure, colors);
  await Plotly.react(element, data, layout, config);
  oneTabStop(element);
  if (!element.dataset.afterplot) {
    element.dataset.afterplot = "1";
    element.on?.("plotly_afterplot", () => oneTabStop(element));
  }
}
