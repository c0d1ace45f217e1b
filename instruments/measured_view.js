// The scaling explorer's measured views: the same token mixers timed on a GPU
// (tests/bench/measure_mixers.py; data from instruments/measured.py), next to the
// FLOP model. Prefill: time per layer against n, with the measured and modeled
// attention-to-scan ratios and the measured crossover. Decode: time per token and the
// bytes each layer keeps, against n. Every number is looked up in the build's data.

import { formatBytes, formatMs, formatRatio, formatTokens, groupThousands, shortTokens } from "./format.js";
import { baseLayout, h, lazyChart } from "./widget.js";

export const VIEWS = ["model", "prefill", "decode"];
const VIEW_LABELS = { model: "Modeled FLOPs", prefill: "Measured: prefill", decode: "Measured: decode" };

// theme colour and dash of each measured series
const STYLE = {
  attention_cudnn: ["accent", "solid"],
  attention_flash: ["accent", "dot"],
  ssd: ["link", "dash"],
  gated_deltanet: ["good", "dashdot"],
  linear_attention: ["ink2", "dot"],
};

// legend names on a phone, where five long names would crowd out the chart
const SHORT = {
  attention_cudnn: "Attn, cuDNN", attention_flash: "Attn, FA-2", ssd: "SSD",
  gated_deltanet: "GDN", linear_attention: "Linear",
};

/** A readout like widget.js's, keyed by data-measured (the modeled view owns data-readout). */
function measuredReadout(key, label, note = "") {
  const value = h("span", { dataset: { measured: key } });
  const root = h("div", { class: "readout", dataset: { key } },
    h("dt", {}, label, note ? h("span", { class: "readout-note" }, note) : null),
    h("dd", { "aria-atomic": "true" }, h("span", { class: "visually-hidden" }, `${label}: `), value));
  return { root, set: (text) => { if (value.textContent !== text) value.textContent = text; } };
}

const orNot = (v, format) => (v === null || v === undefined ? "not measured" : format(v));

/** Lowest and highest of the non-null values of several lists. */
function extent(lists) {
  const all = lists.flat().filter((v) => v !== null && v !== undefined && v > 0);
  return [Math.min(...all), Math.max(...all)];
}

/**
 * The view switch and the two measured panels.
 *   data       the explorer data's `measured` entry
 *   lengths    the context slider's stops (the data's lists run over them)
 *   labelled   indices of the labelled ticks, shared with the modeled chart
 *   view       the starting view ("model", "prefill" or "decode")
 *   onView(v)  called when the reader picks a view
 * Returns {control, panels: [prefill, decode], render(i, view)}.
 */
export function measuredViews({ data, loadPlotly, lengths, labelled, view, onView }) {
  const NAME = "scaling-explorer";
  const byId = Object.fromEntries(data.series.map((s) => [s.id, s]));
  const primary = data.primary_attention;
  const others = data.series.filter((s) => s.id !== primary && s.id.startsWith("attention"));
  const recurrent = data.series.filter((s) => !s.id.startsWith("attention"));
  let current = { i: 0, view };

  // ── the view switch: one pressed button of three, like the bit-width modes ──
  const buttons = Object.fromEntries(VIEWS.map((v) => [v, h("button", {
    type: "button", class: "family-toggle view-toggle", dataset: { view: v },
    onclick: () => { if (current.view !== v) onView(v); },
  }, VIEW_LABELS[v])]));
  const control = h("div", { class: "control control-wide" },
    h("div", { class: "control-head" }, h("span", { id: `${NAME}-view` }, "View")),
    h("div", { class: "family-toggles", role: "group", "aria-labelledby": `${NAME}-view` }, Object.values(buttons)));

  // ── prefill ──
  const pre = {
    attention: measuredReadout("attention", byId[primary].label, "measured, one layer's forward pass"),
    ...Object.fromEntries(others.map((s) => [s.id, measuredReadout(s.id.replace("_", "-"), s.label, "measured")])),
    ...Object.fromEntries(recurrent.map((s) => [s.id, measuredReadout(s.id.replace("_", "-"), s.label, "measured")])),
    measuredRatio: measuredReadout("measured-ratio", "Attention ÷ SSD, measured", `${byId[primary].label.replace("Attention, ", "")} over the SSD layer`),
    modeledRatio: measuredReadout("modeled-ratio", "Attention ÷ SSD, modeled", "n / (E·N), EQ 11.1"),
    crossover: measuredReadout("crossover", "Crossover, measured", "from here on the SSD layer is faster"),
  };
  const crossoverText = data.crossover.bound === "interpolated"
    ? `≈ ${formatTokens(data.crossover.tokens)}`
    : data.crossover.bound === "below" ? `below ${formatTokens(data.crossover.tokens)}` : `beyond ${formatTokens(data.crossover.tokens)}`;
  const shapes = data.shapes;
  const p = data.provenance;
  const prefillNote = h("p", { class: "instrument-note" },
    `Measured on an ${data.gpu}: one layer's forward pass in bf16, batch 1, the median of ${data.reps[0]}–${data.reps[1]} `
    + `timed runs. d = ${groupThousands(shapes.d)}: attention in ${shapes.heads} heads of ${shapes.d_h}; SSD on `
    + `E·d = ${groupThousands(shapes.E * shapes.d)} channels with N = ${shapes.N}. The modeled ratio is EQ 11.1 at these shapes. `
    + `${p.date}; PyTorch ${p.torch}, CUDA ${p.cuda}, Triton ${p.triton}, fla-core ${p.fla_core}.`);

  const prefillChart = lazyChart({
    loadPlotly,
    label: `Log–log chart of measured time per layer against context length on an ${data.gpu}, from 2K to 1M tokens: `
      + "the attention lines rise twice as steeply as the SSD, Gated DeltaNet and linear-attention lines; "
      + `they cross near ${crossoverText.replace("≈ ", "")}; a marker shows the chosen number of tokens.`,
    figure: (colors, narrow) => timeFigure(colors, narrow, data.prefill_ms, "Time per layer", true),
    marker: () => marker(data.prefill_ms),
  });

  // ── decode ──
  const sameState = recurrent.length > 2
    && recurrent.slice(1).every((s) => data.bytes_held[s.id].every((v, k) => v === data.bytes_held[recurrent[1].id][k]));
  const dec = {
    attention: measuredReadout("decode-attention", `${byId[primary].label}, per token`, "reads a KV cache of n tokens"),
    ssd: measuredReadout("decode-ssd", "SSD step, per token", "updates its fixed state"),
    ratio: measuredReadout("decode-ratio", "Attention ÷ SSD step", "measured, per token"),
    kv: measuredReadout("kv-held", "KV cache held", `${data.series.find((s) => s.id === primary).held_dtype}, grows with n`),
    ssdState: measuredReadout("ssd-held", "SSD state held", `${byId.ssd.held_dtype}, fixed size`),
    gdnState: measuredReadout("gdn-held", sameState ? "Gated DeltaNet or linear-attention state" : "Gated DeltaNet state",
      `${byId.gated_deltanet.held_dtype}, fixed size`),
  };
  const decodeNote = h("p", { class: "instrument-note" },
    "One new token at context n: attention reads the keys and values of all n earlier tokens; each recurrent "
    + "mixer updates the state it carries, whose size does not depend on n. Times are medians of replayed CUDA "
    + "graphs; bytes are what each kernel keeps (the KV cache in bf16, fla-core's states in fp32).");
  const decodeChart = lazyChart({
    loadPlotly,
    label: `Log–log chart of measured decode time per token against context length on an ${data.gpu}: attention's `
      + "line rises in proportion to n while the recurrent mixers' lines stay flat; a marker shows the chosen number of tokens.",
    figure: (colors, narrow) => timeFigure(colors, narrow, data.decode_ms, "Time per token", false),
    marker: () => marker(data.decode_ms),
  });
  const heldSeries = [primary, "ssd", "gated_deltanet"];
  const heldNames = {
    [primary]: "KV cache (attention)", ssd: "SSD state",
    gated_deltanet: sameState ? "Gated DeltaNet, linear-attention state" : "Gated DeltaNet state",
  };
  const heldShort = { [primary]: "KV cache", ssd: "SSD state", gated_deltanet: sameState ? "GDN, linear state" : "GDN state" };
  const bytesChart = lazyChart({
    loadPlotly,
    label: "Log–log chart of the bytes one layer keeps for decoding against context length: the KV cache grows in "
      + "proportion to n, the recurrent states stay the same size; a marker shows the chosen number of tokens.",
    figure: (colors, narrow) => bytesFigure(colors, narrow),
    marker: () => ({
      x: lengths[current.i],
      points: heldSeries.filter((id) => data.bytes_held[id][current.i])
        .map((id) => ({ y: data.bytes_held[id][current.i], color: STYLE[id][0] })),
    }),
  });

  const prefillReadouts = h("dl", { class: "readouts readouts-measured", "aria-live": "polite" }, Object.values(pre).map((r) => r.root));
  const decodeReadouts = h("dl", { class: "readouts readouts-measured", "aria-live": "polite" }, Object.values(dec).map((r) => r.root));
  const prefillPanel = h("div", { class: "instrument-view", dataset: { view: "prefill" } },
    prefillReadouts, prefillNote, prefillChart.element);
  const decodePanel = h("div", { class: "instrument-view", dataset: { view: "decode" } },
    decodeReadouts, decodeNote, decodeChart.element, bytesChart.element);

  function marker(table) {
    return {
      x: lengths[current.i],
      points: data.series.filter((s) => table[s.id][current.i])
        .map((s) => ({ y: table[s.id][current.i], color: STYLE[s.id][0] })),
    };
  }

  const xaxis = () => ({
    type: "log", title: { text: "Context length n (tokens)" },
    range: [Math.log10(lengths[0]) - 0.08, Math.log10(lengths[lengths.length - 1]) + 0.08],
    tickvals: lengths.filter((_, i) => labelled.has(i)),
    ticktext: lengths.filter((_, i) => labelled.has(i)).map(shortTokens),
  });

  function line(colors, s, y, unit, narrow) {
    const [color, dash] = STYLE[s.id];
    return {
      type: "scatter", mode: "lines+markers", name: narrow ? s.short || SHORT[s.id] : s.label, x: lengths, y, connectgaps: false,
      line: { color: colors[color], width: s.id === primary ? 2.5 : 2, dash }, marker: { color: colors[color], size: 5 },
      hovertemplate: `%{x:,} tokens<br>%{y:.3g} ${unit}<extra>${s.label}</extra>`,
    };
  }

  function timeFigure(colors, narrow, table, title, withCrossover) {
    const [low, high] = extent(Object.values(table));
    const layout = baseLayout(colors, narrow, {
      xaxis: xaxis(),
      yaxis: {
        type: "log", title: { text: `${title} (ms)` }, exponentformat: "power",
        range: [Math.log10(low) - 0.3, Math.log10(high) + 0.3], dtick: 1,
      },
    });
    if (withCrossover && data.crossover.bound === "interpolated") {
      layout.shapes = [{
        type: "line", xref: "x", yref: "paper", x0: data.crossover.tokens, x1: data.crossover.tokens, y0: 0, y1: 1,
        line: { color: colors.note, width: 1.5, dash: "dash" },
      }];
      layout.annotations = [{
        xref: "x", yref: "paper", x: Math.log10(data.crossover.tokens), y: 0.02, xanchor: "left", yanchor: "bottom",
        text: ` crossover ≈ ${shortTokens(Math.round(data.crossover.tokens))}`, showarrow: false,
        font: { color: colors.ink2, size: narrow ? 10 : 11 },
      }];
    }
    return { data: data.series.map((s) => line(colors, s, table[s.id], "ms", narrow)), layout };
  }

  function bytesFigure(colors, narrow) {
    const [low, high] = extent(heldSeries.map((id) => data.bytes_held[id]));
    return {
      data: heldSeries.map((id) => line(colors, { id, label: heldNames[id], short: heldShort[id] }, data.bytes_held[id], "bytes", narrow)),
      layout: baseLayout(colors, narrow, {
        xaxis: xaxis(),
        yaxis: {
          type: "log", title: { text: "Bytes held per layer" }, exponentformat: "power",
          range: [Math.log10(low) - 0.3, Math.log10(high) + 0.3], dtick: 1,
        },
      }),
    };
  }

  function render(i, next) {
    current = { i, view: next };
    for (const [v, button] of Object.entries(buttons)) button.setAttribute("aria-pressed", String(v === next));
    prefillPanel.hidden = next !== "prefill";
    decodePanel.hidden = next !== "decode";
    if (next === "prefill") {
      pre.attention.set(orNot(data.prefill_ms[primary][i], formatMs));
      for (const s of [...others, ...recurrent]) pre[s.id].set(orNot(data.prefill_ms[s.id][i], formatMs));
      pre.measuredRatio.set(orNot(data.measured_ratio[i], formatRatio));
      pre.modeledRatio.set(formatRatio(data.modeled_ratio[i]));
      pre.crossover.set(crossoverText);
      prefillChart.mark();
    } else if (next === "decode") {
      dec.attention.set(orNot(data.decode_ms[primary][i], formatMs));
      dec.ssd.set(orNot(data.decode_ms.ssd[i], formatMs));
      dec.ratio.set(orNot(data.decode_ratio[i], formatRatio));
      dec.kv.set(orNot(data.bytes_held[primary][i], formatBytes));
      dec.ssdState.set(orNot(data.bytes_held.ssd[i], formatBytes));
      dec.gdnState.set(orNot(data.bytes_held.gated_deltanet[i], formatBytes));
      decodeChart.mark();
      bytesChart.mark();
    }
  }

  return { control, panels: [prefillPanel, decodePanel], render };
}
