// Drawing one code-cell chart with Plotly (loaded by plots.js when a chart nears the
// viewport, so none of this is fetched with the page).
//
// Each chart's title and legend are HTML above the plot, so they wrap on a phone and
// never meet the axis titles or Plotly's toolbar, which sits in a band of its own
// above the plot area. The toolbar is one tab stop (arrow keys move inside it). Log
// axes get ticks a reader can read: 256, 512, 1K, 2K … on a power-of-two axis, and
// 1, 10, 100, 10⁴ … otherwise.

import { logTicks } from "./instruments/ticks.js";
import { baseLayout, themeColors } from "./instruments/widget.js";

// ── the figure ────────────────────────────────────────────────────────────────

/** Plotly traces and layout for a figure made by plot_xy, for a chart `width` × `height` px. */
export function plotlyFigure(figure, { width = 600, height = 288 } = {}) {
  const colors = themeColors();
  const palette = colors.series;
  // baseLayout's axis, for a chart the reader may zoom and pan (the instruments' charts may not)
  const axis = (a, values, room) => {
    const spec = {
      title: { text: a.title || "", standoff: 8 },
      type: a.type || "linear",
      fixedrange: false,
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
    layout: baseLayout(colors, false, {
      xaxis: axis(figure.layout.xaxis || {}, xs, Math.floor((width - 70) / 48)),
      yaxis: axis(figure.layout.yaxis || {}, ys, Math.floor((height - 80) / 28)),
      // the top band holds the toolbar, clear of the plot; title and legend are HTML
      margin: { l: 56, r: 12, t: 34, b: 44 },
      dragmode: "zoom", // Plotly's own default: a cell's chart zooms and pans
      showlegend: false,
      autosize: true,
    }),
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
  element.querySelector(".plot-image")?.remove(); // the build's static image of this chart
  await Plotly.react(element, data, layout, config);
  oneTabStop(element);
  if (!element.dataset.afterplot) {
    element.dataset.afterplot = "1";
    element.on?.("plotly_afterplot", () => oneTabStop(element));
  }
}
