// Small DOM helpers shared by the three instruments: element building, labelled
// range controls, the URL-fragment state of all instruments, and a lazily drawn
// Plotly chart with its chosen point drawn over it.

import { differsFromDefaults, parseFragment, serialiseFragment } from "./format.js";
import { SERIES_COLORS, seriesColor } from "./ticks.js";

/** Build an element: h("p", {class: "x", "aria-live": "polite"}, "text", child). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/**
 * A labelled native range over `count` positions, with its current value shown
 * beside the label and tick labels under the track.
 *
 *   id, label        the input's id and visible label
 *   hiddenLabel      extra words for screen readers only (keeps names unique)
 *   count, index     number of positions and the starting one
 *   valueText(i)     the value at position i, for the visible value and aria-valuetext
 *   tickText(i)      tick label at i, or "" for a bare tick
 *   onChange(i)      called on every input event
 */
export function rangeControl({ id, label, hiddenLabel = "", count, index, valueText, tickText, onChange }) {
  const input = h("input", {
    type: "range", id, min: 0, max: count - 1, step: 1, value: index,
  });
  const value = h("span", { class: "control-value", id: `${id}-value` });
  const ticks = h("div", { class: "ticks", "aria-hidden": "true" });
  for (let i = 0; i < count; i += 1) {
    const text = tickText ? tickText(i) : "";
    const tick = h("span", { class: text ? "tick labelled" : "tick", style: `--at: ${i / Math.max(1, count - 1)}` }, text);
    tick.addEventListener("click", () => {
      set(i);
      onChange(i);
      input.focus();
    });
    ticks.append(tick);
  }
  const root = h(
    "div",
    { class: "control" },
    h("div", { class: "control-head" },
      h("label", { for: id }, label, hiddenLabel ? h("span", { class: "visually-hidden" }, ` ${hiddenLabel}`) : null),
      value),
    input,
    ticks,
  );
  function set(i) {
    input.value = String(i);
    const text = valueText(i);
    value.textContent = text;
    input.setAttribute("aria-valuetext", text);
    input.style.setProperty("--fill", `${(100 * i) / Math.max(1, count - 1)}%`);
  }
  input.addEventListener("input", () => {
    const i = Number(input.value);
    set(i);
    onChange(i);
  });
  // Alt+← and Alt+→ (⌘ on a Mac) are the browser's Back and Forward; a focused
  // slider would take them for a step instead. The state of a step just taken is
  // written first: written while the browser goes back, it would cancel the way back.
  input.addEventListener("keydown", (event) => {
    const step = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
    if (!step || !(event.altKey || event.metaKey) || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    flushFragment();
    window.history.go(step);
  });
  set(index);
  return { root, input, set, get index() { return Number(input.value); } };
}

/**
 * A readout: a <div> holding <dt>label</dt><dd>…<span data-readout=key>value</span></dd>,
 * for a <dl> that is a live region. The <dd> is announced whole, with its label
 * ("Attention: 7.0e13 FLOPs"), never as a bare number.
 */
export function readout(key, label, note = "") {
  const value = h("span", { dataset: { readout: key } });
  const root = h("div", { class: "readout", dataset: { key } },
    h("dt", {}, label, note ? h("span", { class: "readout-note" }, note) : null),
    h("dd", { "aria-atomic": "true" }, h("span", { class: "visually-hidden" }, `${label}: `), value));
  return { root, value, set: (text) => { if (value.textContent !== text) value.textContent = text; } };
}

/**
 * Make `box` a tab stop named `label` (with `role`, if given), so the keyboard can
 * scroll it. What every scrolling box of the page gets: markScrollable's boxes while
 * they scroll, a cell's output boxes always (they may scroll as lines stream in).
 */
export function makeFocusableBox(box, label, role) {
  box.tabIndex = 0;
  box.setAttribute("aria-label", label);
  if (role) box.setAttribute("role", role);
}

/**
 * A box whose content scrolls sideways is a named, focusable region (or `role`), so
 * the keyboard can scroll it; a box that fits is an ordinary box again. The one rule
 * for every scrolling box of the page (equations, tables, instruments).
 */
export function markScrollable(box, scrolls, label, role = "region") {
  if (scrolls && !box.hasAttribute("tabindex")) {
    makeFocusableBox(box, label, role);
  } else if (!scrolls && box.hasAttribute("tabindex")) {
    box.removeAttribute("tabindex");
    box.removeAttribute("role");
    box.removeAttribute("aria-label");
  }
}

/**
 * Call `mark` each time the browser lays `box` out with a new size of it or of its
 * children (a ResizeObserver: measuring never forces a layout, and a box in a section
 * far from view, which is not laid out, waits until the reader nears it). The first
 * time, the box gets `data-measured`: until then site.css keeps it from scrolling, so
 * no box is ever scrollable but out of the keyboard's reach.
 */
export function whenLaidOut(box, mark) {
  const observer = new ResizeObserver((entries) => {
    if (entries.every(({ contentRect: r }) => !r.width && !r.height)) return; // not laid out
    mark();
    box.dataset.measured = "";
  });
  for (const element of [box, ...box.children]) observer.observe(element);
}

/** Keep `box` marked (markScrollable) as its size or content changes. */
export function scrollRegion(box, label) {
  const mark = () => markScrollable(box, box.scrollWidth > box.clientWidth + 1, label);
  whenLaidOut(box, mark);
  return mark;
}

// ── state in the URL fragment ───────────────────────────────────────────────

const registry = new Map(); // name -> {values(), defaults, apply(values)}
let listening = false;

/** The state a shared URL gives instrument `name` ({key: text}; {} if none). */
export function initialState(name) {
  return parseFragment(window.location.hash).states[name] || {};
}

/**
 * Register an instrument's state: `values()` returns its {key: value}, `defaults`
 * the same at the defaults, `apply(values)` sets it from a fragment. Returns
 * save(), to call after every change: once the controls rest it rewrites the
 * fragment with history.replaceState (no history entry, no scroll jump),
 * anchored at this instrument and holding, in page order, the state of every
 * instrument not at its defaults.
 */
export function bindState(name, { values, defaults, apply }) {
  registry.set(name, { values, defaults, apply });
  if (!listening) {
    listening = true;
    window.addEventListener("hashchange", applyFragment);
    window.addEventListener("pagehide", flushFragment);
  }
  return function save() {
    // Written once the controls rest: a drag fires dozens of input events a
    // second, and browsers refuse (Safari) or throttle (Chromium) that many
    // history.replaceState calls.
    clearTimeout(writeTimer);
    pendingWrite = () => writeFragment(name);
    writeTimer = setTimeout(pendingWrite, WRITE_DELAY_MS);
  };
}

const WRITE_DELAY_MS = 250;
let writeTimer = 0;
let pendingWrite = null;

/** Write a fragment that waits for the controls to rest, now. */
function flushFragment() {
  clearTimeout(writeTimer);
  if (pendingWrite) pendingWrite();
}

function writeFragment(anchorName) {
  pendingWrite = null;
  const figures = [...document.querySelectorAll("figure.instrument[data-instrument]")].map((f) => f.dataset.instrument);
  const inPageOrder = [...registry].sort(([a], [b]) => figures.indexOf(a) - figures.indexOf(b));
  const states = inPageOrder.map(([key, entry]) => {
    const current = entry.values();
    return [key, differsFromDefaults(current, entry.defaults) ? current : null];
  });
  const hash = serialiseFragment(`instrument-${anchorName}`, states);
  const url = `${window.location.pathname}${window.location.search}${hash}`;
  if (hash !== window.location.hash) window.history.replaceState(window.history.state, "", url);
}

/** A new fragment typed or pasted into the address bar: restore its states, scroll. */
function applyFragment() {
  clearTimeout(writeTimer);
  pendingWrite = null;
  const { states } = parseFragment(window.location.hash);
  for (const [name, entry] of registry) if (states[name]) entry.apply(states[name]);
  scrollToFragment();
}

/**
 * Scroll to the anchor of a fragment that carries state, and return it: the browser
 * cannot, as "instrument-bit-width?bit-width:b=2" is no element id. Plain anchors are
 * left to the browser (null).
 */
export function scrollToFragment() {
  const hash = window.location.hash;
  if (!hash.includes("?") && !hash.includes(":")) return null;
  const { anchor } = parseFragment(hash);
  const target = anchor && document.getElementById(anchor);
  target?.scrollIntoView({ block: "start" });
  return target || null;
}

// ── charts ──────────────────────────────────────────────────────────────────

/** The page's theme colours, read from its CSS variables (light or dark). */
export function themeColors() {
  const style = getComputedStyle(document.documentElement);
  const value = (name) => style.getPropertyValue(name).trim();
  return {
    ink: value("--ink"), ink2: value("--ink-2"), rule: value("--rule"), surface: value("--surface"),
    surface2: value("--surface-2"), accent: value("--accent"), link: value("--link"),
    good: value("--good"), bad: value("--bad"), note: value("--note"),
    series: Array.from({ length: SERIES_COLORS }, (_, i) => value(seriesColor(i))), // a chart's series, in order
  };
}

/** Plotly layout defaults in the page's style (the chart sits on --surface). */
export function baseLayout(colors, narrow, overrides = {}) {
  const axis = (extra) => ({
    gridcolor: colors.rule, zerolinecolor: colors.rule, linecolor: colors.ink2, tickcolor: colors.ink2,
    fixedrange: true, automargin: true, title: { standoff: 6 }, ...extra,
  });
  return {
    margin: { l: 56, r: 12, t: 12, b: 48 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: colors.ink, family: "system-ui, sans-serif", size: narrow ? 11 : 12 },
    dragmode: false,
    hovermode: "closest",
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", bgcolor: "rgba(0,0,0,0)" },
    ...overrides,
    xaxis: axis(overrides.xaxis || {}),
    yaxis: axis(overrides.yaxis || {}),
  };
}

const CONFIG = { displayModeBar: false, responsive: true, scrollZoom: false };

/** Run `callback` once, when `element` comes within a screen or so of the viewport. */
export function whenNear(element, callback, margin = "600px 0px") {
  if (!("IntersectionObserver" in window)) {
    callback();
    return;
  }
  const observer = new IntersectionObserver(
    (entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      callback();
    },
    { rootMargin: margin },
  );
  observer.observe(element);
}

const SVG = "http://www.w3.org/2000/svg";

/** Pixel position of data value `v` on a drawn Plotly axis (linear or log). */
function toPixel(axis, v, flip) {
  const [r0, r1] = axis.range;
  const at = ((axis.type === "log" ? Math.log10(v) : v) - r0) / (r1 - r0);
  return axis._offset + axis._length * (flip ? 1 - at : at);
}

/**
 * The chosen point of a chart: a dotted vertical line across the plot area and a
 * dot on each curve, in an SVG laid over Plotly's. Moving it sets a few attributes,
 * so a slider redraws it in well under a millisecond instead of a Plotly update.
 */
function markerOverlay(element) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "chart-marker");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(SVG, "line");
  line.setAttribute("stroke-width", "1");
  line.setAttribute("stroke-dasharray", "2 3");
  svg.append(line);
  let dots = [];
  let axes = null; // from the last Plotly draw
  let colors = null; // the theme at the last Plotly draw
  let spot = null;

  function paint() {
    line.setAttribute("stroke", colors.ink2);
    spot?.points.forEach((point, k) => {
      dots[k].setAttribute("fill", colors[point.color]);
      dots[k].setAttribute("stroke", colors.surface);
    });
  }

  function place() {
    if (!axes || !spot) return;
    const [xa, ya] = axes;
    const x = toPixel(xa, spot.x, false);
    svg.dataset.x = String(spot.x);
    line.setAttribute("x1", x);
    line.setAttribute("x2", x);
    line.setAttribute("y1", ya._offset);
    line.setAttribute("y2", ya._offset + ya._length);
    spot.points.forEach((point, k) => {
      dots[k].setAttribute("cx", x);
      dots[k].setAttribute("cy", toPixel(ya, point.y, true));
    });
  }

  return {
    /** After each Plotly draw: read the axes, restyle, make sure the overlay is on top. */
    attach(layout, palette) {
      axes = [layout.xaxis, layout.yaxis];
      colors = palette;
      if (element.lastChild !== svg) element.append(svg);
      paint();
      place();
    },
    /** Move to {x, points: [{y, color}]} (data units). */
    move(next) {
      spot = next;
      if (dots.length !== next.points.length) {
        dots.forEach((dot) => dot.remove());
        dots = next.points.map(() => {
          const dot = document.createElementNS(SVG, "circle");
          dot.setAttribute("r", "6.5");
          dot.setAttribute("stroke-width", "2.5");
          svg.append(dot);
          return dot;
        });
      }
      paint();
      place();
    },
  };
}

/**
 * A chart drawn only when it nears the viewport (Plotly is ~1 MB).
 *   figure(colors, narrow) -> {data, layout} for the current state: the one
 *                     full draw, and again when the colour scheme changes or
 *                     the screen crosses the phone width (narrow: true)
 *   marker() -> {x, points: [{y, color}]}: the chosen point, drawn over the
 *                     chart (color names a theme colour, e.g. "accent")
 *   update(Plotly, element, colors) -> optional: applies a change of the curves
 *                     in place (Plotly.restyle / update), never a new plot
 *   loadPlotly() -> Promise<Plotly>: the page's chart loader, passed in by the page
 * Returns {element, mark, schedule}: mark() after the chosen point moved (drawn at
 * once); schedule() after the curves changed: it draws the first change of a frame
 * at once and folds the rest of that frame into one more update.
 */
export function lazyChart({ label, figure, marker, update, loadPlotly }) {
  const narrowQuery = window.matchMedia("(max-width: 30rem)");
  const element = h("div", { class: "instrument-chart", role: "img", "aria-label": label });
  const overlay = markerOverlay(element);
  let Plotly = null;
  let drawn = false;
  let pending = false;
  let version = 0;

  const redraw = () => {
    const { data, layout } = figure(themeColors(), narrowQuery.matches);
    return Plotly.react(element, data, layout, CONFIG);
  };

  async function draw() {
    Plotly = await loadPlotly();
    const drawnVersion = version;
    const { data, layout } = figure(themeColors(), narrowQuery.matches);
    await Plotly.newPlot(element, data, layout, CONFIG);
    // every later draw (resize, theme, phone width) moves the marker with the axes
    element.on("plotly_afterplot", () => overlay.attach(element._fullLayout, themeColors()));
    overlay.attach(element._fullLayout, themeColors());
    overlay.move(marker());
    drawn = true;
    element.dataset.drawn = "1";
    if (version !== drawnVersion) schedule();
  }

  // While a curve update waits for the next frame, the dots wait with it.
  function mark() {
    if (drawn && !pending) overlay.move(marker());
  }

  // The first change of a frame is drawn at once (the reader sees it in this frame);
  // further changes in the same frame are folded into one update at the next frame.
  let frameBusy = false;
  function schedule() {
    version += 1;
    if (!drawn || !update) return;
    if (frameBusy) {
      pending = true;
      return;
    }
    frameBusy = true;
    update(Plotly, element, themeColors());
    window.requestAnimationFrame(() => {
      frameBusy = false;
      if (pending) {
        pending = false;
        update(Plotly, element, themeColors());
        mark();
      }
    });
  }

  whenNear(element, () => {
    draw().catch((error) => {
      drawn = false; // nothing to update or restyle from now on
      element.removeAttribute("role");
      element.removeAttribute("aria-label");
      element.classList.add("chart-failed");
      element.textContent = `${error.message} The readouts above still work.`;
    });
  });
  const restyleAll = () => {
    if (drawn) redraw(); // its plotly_afterplot recolours and moves the marker
  };
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", restyleAll);
  narrowQuery.addEventListener("change", restyleAll);
  return { element, mark, schedule };
}
