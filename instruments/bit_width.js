// Instrument: bit-width slider. Weight storage against quantization error for a
// Gaussian weight (EQ 11.6): the naive ±3σ uniform grid, the best-clip uniform
// grid and the rate–distortion bound, from 16 bits down to ternary.
// Every number is looked up in the build's data (instruments/tables.py).

import { ascendingOrder, formatBits, formatGB, formatParams, formatPercent, pickIndex } from "./format.js";
import { baseLayout, bindState, h, initialState, lazyChart, rangeControl, readout } from "./widget.js";

const NAME = "bit-width";
const DEFAULTS = { b: 4, P: "70B" };

/** Formats people ship at each width (examples, not a complete list). */
const FORMATS = {
  16: "FP16 / BF16",
  8: "INT8 / FP8",
  6: "FP6",
  5: "5-bit (Q5_K)",
  4: "INT4 / NF4",
  3: "3-bit (Q3_K)",
  2: "2-bit (QuIP#, AQLM)",
  1.58: "ternary, 3 levels",
};

export function mount(element, { data }) {
  const bits = data.bit_widths;
  const order = ascendingOrder(bits); // slider position -> data index (1.58 left, 16 right)
  const sizes = Object.keys(data.model_sizes).sort((a, b) => data.model_sizes[a] - data.model_sizes[b]);
  const at = (position) => order[position];
  const bitsAt = (position) => bits[at(position)];
  const positionOf = (value, fallback) => {
    const index = pickIndex(bits, value, -1);
    return index === -1 ? fallback : order.indexOf(index);
  };
  const defaults = {
    b: bits[order[positionOf(DEFAULTS.b, Math.floor(bits.length / 2))]],
    P: sizes[pickIndex(sizes, DEFAULTS.P, Math.floor((sizes.length - 1) / 2))],
  };
  const shared = initialState(NAME);
  const state = {
    p: positionOf(shared.b, positionOf(defaults.b, 0)),
    s: pickIndex(sizes, shared.P, sizes.indexOf(defaults.P)),
  };

  const bitControl = rangeControl({
    id: `${NAME}-b`, label: "Bit-width", count: bits.length, index: state.p,
    valueText: (p) => `${formatBits(bitsAt(p))} · ${FORMATS[bitsAt(p)] || `${data.levels[at(p)]} levels`}`,
    tickText: (p) => String(bitsAt(p)),
    onChange: (p) => { state.p = p; changed(true); },
  });
  const sizeControl = rangeControl({
    id: `${NAME}-P`, label: "Model size", count: sizes.length, index: state.s,
    valueText: (s) => formatParams(data.model_sizes[sizes[s]]),
    tickText: (s) => sizes[s],
    onChange: (s) => { state.s = s; changed(false); },
  });

  const out = {
    weights: readout("weights", "Weights", "P × b / 8 bytes"),
    naive: readout("naive", "Naive uniform", "±3σ clip, relative RMSE"),
    best: readout("best-clip", "Best-clip uniform", "clip tuned for b, relative RMSE"),
    bound: readout("bound", "Rate–distortion bound", "no b-bit code does better"),
    regime: readout("regime", "Regime"),
  };
  const readouts = h("dl", { class: "readouts readouts-bits", "aria-live": "polite" }, Object.values(out).map((r) => r.root));
  const floor = data.regime_thresholds[data.regimes[0]];
  const costly = data.regime_thresholds[data.regimes[1]];

  const chart = lazyChart({
    label: `Chart of relative error against bits per weight, both on log scales: the naive ±3σ grid, the best-clip grid and the rate–distortion bound, with the ${floor}-bit floor marked and the chosen width highlighted.`,
    figure: (colors, narrow) => figure(colors, narrow),
    marker: () => {
      const j = at(state.p);
      const curve = data.error_curve;
      return {
        x: bits[j],
        points: [
          { y: curve.naive[j], color: "accent" },
          { y: curve.best_clip[j], color: "link" },
          { y: curve.bound[j], color: "ink2" },
        ],
      };
    },
  });

  function figure(colors, narrow) {
    const curve = data.error_curve;
    const xs = order.map((j) => bits[j]);
    const ys = (list) => order.map((j) => list[j]);
    const line = (name, y, color, dash) => ({
      type: "scatter", mode: "lines+markers", name, x: xs, y,
      line: { color, width: 2.5, dash }, marker: { color, size: 6 },
      hovertemplate: `%{x} bits: %{y:.3p}<extra>${name}</extra>`,
    });
    const low = Math.min(...curve.bound);
    const decades = [];
    for (let e = Math.floor(Math.log10(low)); e <= 0; e += 1) decades.push(10 ** e);
    const region = (x0, x1, color) => ({
      type: "rect", xref: "x", yref: "paper", x0, x1, y0: 0, y1: 1,
      fillcolor: color, opacity: 0.12, line: { width: 0 }, layer: "below",
    });
    const xmin = Math.min(...bits) / 1.1;
    return {
      data: [
        line(narrow ? "Naive ±3σ" : "Naive ±3σ uniform", ys(curve.naive), colors.accent, "solid"),
        line(narrow ? "Best clip" : "Best-clip uniform", ys(curve.best_clip), colors.link, "solid"),
        line(narrow ? "R–D bound" : "Rate–distortion bound", ys(curve.bound), colors.ink2, "dash"),
      ],
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

  const values = () => ({ b: bitsAt(state.p), P: sizes[state.s] });
  const save = bindState(NAME, {
    values,
    defaults,
    apply: (shared) => {
      state.p = positionOf(shared.b, state.p);
      state.s = pickIndex(sizes, shared.P, state.s);
      bitControl.set(state.p);
      sizeControl.set(state.s);
      render(true);
    },
  });

  function render(chartChanged) {
    const j = at(state.p);
    const curve = data.error_curve;
    out.weights.set(formatGB(data.storage_gb[sizes[state.s]][j]));
    out.naive.set(formatPercent(curve.naive[j]));
    out.best.set(formatPercent(curve.best_clip[j]));
    out.bound.set(formatPercent(curve.bound[j]));
    const label = data.regime[j];
    out.regime.set(label);
    out.regime.value.className = `regime regime-${data.regimes.indexOf(label)}`;
    if (chartChanged) chart.mark();
  }

  function changed(chartChanged) {
    render(chartChanged);
    save();
  }

  render(true);
  element.replaceChildren(
    h("div", { class: "instrument-live instrument-bits" },
      h("div", { class: "controls controls-bits" }, bitControl.root, sizeControl.root),
      readouts,
      h("p", { class: "instrument-note" },
        "Errors are for Gaussian weights quantized per tensor; real layers with outliers do worse without rotation."),
      chart.element),
  );
  return { values };
}
