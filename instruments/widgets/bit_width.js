// Instrument: bit-width slider. Weight storage against quantization error (eq-11-6).
// Two kinds of weights. Gaussian: the uniform grid of eq-11-6 clipped at ±3σ and at
// the best clip for each width, the rate–distortion bound, and the named formats
// (INT4, MXFP4, NVFP4, NF4, FP8) at their effective bits. Heavy-tailed with outlier
// channels: min–max rounding of each row, with and without a random Hadamard rotation.
// Every number is looked up in the build's data (instruments/widget_data.py).

import { ascendingOrder, formatBits, formatGB, formatParams, formatPercent, groupThousands, pickIndex } from "../format.js";
import { baseLayout, bindState, h, initialState, lazyChart, rangeControl, readout, scrollRegion } from "../widget.js";

const NAME = "bit-width";

/** Formats people ship at each width (examples, not a complete list). */
const FORMATS = {
  16: "FP16 / BF16",
  8: "INT8 / FP8",
  6: "FP6",
  5: "5-bit (Q5_K)",
  4: "INT4 / FP4 / NF4",
  3: "3-bit (Q3_K)",
  2: "2-bit (QuIP#, AQLM, QTIP)",
  1.58: "ternary, 3 levels",
};

/** One marker symbol per named format, so that points that nearly coincide stay apart. */
const SYMBOLS = ["square", "diamond", "triangle-up", "triangle-down", "star"];

export function mount(element, { data, loadPlotly }) {
  const bits = data.bit_widths;
  const order = ascendingOrder(bits); // slider position -> data index (1.58 left, 16 right)
  const sizes = Object.keys(data.model_sizes).sort((a, b) => data.model_sizes[a] - data.model_sizes[b]);
  const at = (position) => order[position];
  const bitsAt = (position) => bits[at(position)];
  const positionOf = (value, fallback) => {
    const index = pickIndex(bits, value, -1);
    return index === -1 ? fallback : order.indexOf(index);
  };
  const modes = data.modes;
  const defaults = data.defaults; // where the controls start (instruments/widget_data.py)
  const shared = initialState(NAME);
  const state = {
    p: positionOf(shared.b, positionOf(defaults.b, 0)),
    s: pickIndex(sizes, shared.P, sizes.indexOf(defaults.P)),
    w: modes.includes(shared.w) ? shared.w : defaults.w,
  };
  const clip = data.fixed_clip;
  const rot = data.rotation;
  const ex = rot.example;
  const outlierWords = `${ex.rows} × ${ex.cols} Student-t weights (${ex.df} degrees of freedom), `
    + `${ex.outlier_channels} input channels scaled ×${ex.outlier_scale}, seed ${ex.seed}`;

  const bitControl = rangeControl({
    id: `${NAME}-b`, label: "Bit-width", count: bits.length, index: state.p,
    valueText: (p) => `${formatBits(bitsAt(p))} · ${FORMATS[bitsAt(p)] || `${data.levels[at(p)]} levels`}`,
    tickText: (p) => String(bitsAt(p)),
    onChange: (p) => { state.p = p; changed(false); },
  });
  const sizeControl = rangeControl({
    id: `${NAME}-P`, label: "Model size", count: sizes.length, index: state.s,
    valueText: (s) => formatParams(data.model_sizes[sizes[s]]),
    tickText: (s) => sizes[s],
    onChange: (s) => { state.s = s; changed(false); },
  });
  const modeButtons = Object.fromEntries([
    ["gaussian", "Gaussian"],
    ["outliers", "Heavy tails + outliers"],
  ].map(([mode, label]) => [mode, h("button", {
    type: "button", class: "family-toggle weights-toggle", dataset: { mode },
    onclick: () => { if (state.w !== mode) { state.w = mode; changed(true); } },
  }, label)]));
  const modeControl = h("div", { class: "control" },
    h("div", { class: "control-head" }, h("span", { id: `${NAME}-weights`, style: "font-weight: 600" }, "Weights")),
    h("div", { class: "family-toggles", role: "group", "aria-labelledby": `${NAME}-weights` },
      Object.values(modeButtons)));

  const out = {
    weights: readout("weights", "Weights", "P × b / 8 bytes"),
    fixed: readout("fixed-clip", `Uniform, ±${clip}σ clip`, "EQ 11.6 grid, relative RMSE"),
    best: readout("best-clip", "Uniform, best clip", "same grid, clip tuned for b"),
    bound: readout("bound", "Rate–distortion bound", "no b-bit code does better"),
    plain: readout("minmax", "Min–max rounding", "each row its own range"),
    rotated: readout("rotated", "After rotation", "random Hadamard, then min–max"),
    reference: readout("gaussian-reference", "Gaussian, best clip", "for reference"),
    regime: readout("regime", "Regime"),
  };
  const shown = {
    gaussian: ["weights", "fixed", "best", "bound", "regime"],
    outliers: ["weights", "plain", "rotated", "reference"],
  };
  const readouts = h("dl", { class: "readouts readouts-bits", "aria-live": "polite" }, Object.values(out).map((r) => r.root));
  const floor = data.regime_thresholds[data.regimes[0]];
  const costly = data.regime_thresholds[data.regimes[1]];
  const note = h("p", { class: "instrument-note" });
  const maxError = Math.max(...data.formats.map((f) => f.standard_error));
  const formatCaption = `Named formats at their effective bits, scales counted: relative RMSE on ${
    groupThousands(data.mc.size)} Gaussian weights (seed ${data.mc.seed}; standard errors at most ${
    formatPercent(maxError)}).`;
  const formatTable = h("table", { class: "bit-formats" },
    h("caption", {}, formatCaption),
    h("thead", {}, h("tr", {}, ["Format", "Elements and scale", "Bits per weight", "Relative RMSE"]
      .map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, data.formats.map((f) => h("tr", {},
      h("th", { scope: "row" }, f.name), h("td", {}, f.elements), h("td", {}, formatBits(f.bits)),
      h("td", {}, formatPercent(f.error))))));
  const formatList = h("div", { class: "table-scroll" }, formatTable);
  scrollRegion(formatList, "Named formats (scrolls sideways)");

  const curves = () => (state.w === "gaussian"
    ? [
      { key: "fixed", y: data.error_curve.fixed_clip, color: "accent", wide: `Uniform, ±${clip}σ clip`, narrow: `±${clip}σ clip` },
      { key: "best", y: data.error_curve.best_clip, color: "link", wide: "Uniform, best clip", narrow: "Best clip" },
      { key: "bound", y: data.error_curve.bound, color: "ink2", dash: "dash", wide: "Rate–distortion bound", narrow: "R–D bound" },
    ]
    : [
      { key: "plain", y: rot.plain, color: "accent", wide: "Min–max rounding", narrow: "Min–max" },
      { key: "rotated", y: rot.rotated, color: "link", wide: "After random Hadamard rotation", narrow: "Rotated" },
      { key: "reference", y: data.error_curve.best_clip, color: "ink2", dash: "dash", wide: "Gaussian, best clip", narrow: "Gaussian" },
    ]);

  const chart = lazyChart({
    loadPlotly,
    label: "Chart of relative error against bits per weight, both on log scales, with the "
      + `${floor}-bit floor marked and the chosen width highlighted. Gaussian weights: the uniform grid `
      + `clipped at ±${clip}σ and at the best clip, the rate–distortion bound, and named formats at their `
      + "effective bits. Heavy-tailed weights: min–max rounding with and without a random Hadamard rotation.",
    figure: (colors, narrow) => figure(colors, narrow),
    marker: () => {
      const j = at(state.p);
      return { x: bits[j], points: curves().map((c) => ({ y: c.y[j], color: c.color })) };
    },
    update: (Plotly, chartElement, colors) => {
      const { data: traces, layout } = figure(colors, window.matchMedia("(max-width: 30rem)").matches);
      Plotly.react(chartElement, traces, layout);
    },
  });

  function figure(colors, narrow) {
    const xs = order.map((j) => bits[j]);
    const ys = (list) => order.map((j) => list[j]);
    const line = (c) => ({
      type: "scatter", mode: "lines+markers", name: narrow ? c.narrow : c.wide, x: xs, y: ys(c.y),
      line: { color: colors[c.color], width: 2.5, dash: c.dash || "solid" }, marker: { color: colors[c.color], size: 6 },
      hovertemplate: `%{x} bits: %{y:.3p}<extra>${narrow ? c.narrow : c.wide}</extra>`,
    });
    const traces = curves().map(line);
    if (state.w === "gaussian") {
      data.formats.forEach((f, k) => traces.push({
        type: "scatter", mode: "markers", name: f.name, x: [f.bits], y: [f.error],
        marker: { symbol: SYMBOLS[k % SYMBOLS.length], size: 10, color: colors.good, line: { color: colors.ink, width: 1 } },
        hovertemplate: `${f.name}, ${f.elements}<br>${f.bits} bits: %{y:.3p} ± ${formatPercent(f.standard_error)}<extra></extra>`,
      }));
    }
    const everything = [...data.error_curve.bound, ...rot.rotated, ...rot.plain];
    const low = Math.min(...everything.filter((v) => v > 0));
    const decades = [];
    for (let e = Math.floor(Math.log10(low)); e <= 0; e += 1) decades.push(10 ** e);
    const region = (x0, x1, color) => ({
      type: "rect", xref: "x", yref: "paper", x0, x1, y0: 0, y1: 1,
      fillcolor: color, opacity: 0.12, line: { width: 0 }, layer: "below",
    });
    const xmin = Math.min(...bits) / 1.1;
    return {
      data: traces,
      layout: baseLayout(colors, narrow, {
        margin: { l: 60, r: 12, t: 12, b: 48 },
        legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", bgcolor: "rgba(0,0,0,0)" },
        xaxis: {
          type: "log", title: { text: "Bits per weight b" },
          range: [Math.log10(xmin), Math.log10(Math.max(...bits) * 1.12)],
          tickvals: xs, ticktext: xs.map(String),
        },
        yaxis: {
          type: "log", title: { text: "Relative RMSE" },
          range: [Math.log10(low) - 0.25, 0.1],
          tickvals: decades, ticktext: decades.map((v) => formatPercent(v)),
        },
        shapes: [
          region(xmin, costly, colors.bad),
          region(costly, floor, colors.note),
          {
            type: "line", xref: "x", yref: "paper", x0: floor, x1: floor, y0: 0, y1: 1,
            line: { color: colors.ink, width: 1.5 },
          },
        ],
        annotations: [{
          xref: "x", yref: "paper", x: Math.log10(floor), y: 0.02, xanchor: "left", yanchor: "bottom",
          text: ` ${floor}-bit floor`, showarrow: false, font: { color: colors.ink, size: 11 },
        }],
      }),
    };
  }

  const values = () => ({ b: bitsAt(state.p), P: sizes[state.s], w: state.w });
  const save = bindState(NAME, {
    values,
    defaults,
    apply: (next) => {
      const before = state.w;
      state.p = positionOf(next.b, state.p);
      state.s = pickIndex(sizes, next.P, state.s);
      state.w = modes.includes(next.w) ? next.w : defaults.w;
      bitControl.set(state.p);
      sizeControl.set(state.s);
      render(state.w !== before);
    },
  });

  function render(modeChanged) {
    const j = at(state.p);
    const curve = data.error_curve;
    out.weights.set(formatGB(data.storage_gb[sizes[state.s]][j]));
    out.fixed.set(formatPercent(curve.fixed_clip[j]));
    out.best.set(formatPercent(curve.best_clip[j]));
    out.bound.set(formatPercent(curve.bound[j]));
    out.plain.set(formatPercent(rot.plain[j]));
    out.rotated.set(formatPercent(rot.rotated[j]));
    out.reference.set(formatPercent(curve.best_clip[j]));
    const label = data.regime[j];
    out.regime.set(label);
    out.regime.value.className = `regime regime-${data.regimes.indexOf(label)}`;
    if (state.w !== shownMode) showMode();
    if (modeChanged) chart.schedule();
    chart.mark();
  }

  // What depends on the kind of weights only: which readouts, the note, the formats.
  let shownMode = null;
  function showMode() {
    shownMode = state.w;
    for (const [key, r] of Object.entries(out)) r.root.hidden = !shown[state.w].includes(key);
    for (const [mode, button] of Object.entries(modeButtons)) button.setAttribute("aria-pressed", String(mode === state.w));
    note.textContent = state.w === "gaussian"
      ? "Gaussian weights quantized per tensor; real layers with outliers do worse without rotation."
      : `${outlierWords}; every row rounded on its own min–max grid, in the original basis or after a random Hadamard rotation.`;
    formatList.hidden = state.w !== "gaussian";
  }

  function changed(modeChanged) {
    render(modeChanged);
    save();
  }

  render(false);
  element.replaceChildren(
    h("div", { class: "instrument-live instrument-bits" },
      h("div", { class: "controls controls-bits" }, bitControl.root, sizeControl.root, modeControl),
      readouts,
      note,
      chart.element,
      formatList),
  );
  return { values };
}
