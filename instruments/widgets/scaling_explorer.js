// Instrument: scaling explorer. Attention's n²d against a scan's n·E·d·N and linear
// attention's n·d·d_h (eq-11-1, eq-11-4, eq-11-5), and decode memory: a KV cache that grows
// with n against fixed states.
// Every number is looked up in the build's data (instruments/widget_data.py).

import { formatBytes, formatFlops, formatRatio, formatTokens, groupThousands, pickIndex, shortTokens } from "../format.js";
import { bindState, h, initialState, lazyChart, rangeControl, readout, baseLayout } from "../widget.js";
import { measuredViews, VIEWS } from "../measured_view.js";

const NAME = "scaling-explorer";

export function mount(element, { data, loadPlotly }) {
  const lengths = data.context_lengths;
  const widths = data.model_widths;
  const states = data.state_sizes;
  const defaults = {
    ...data.defaults, // where the controls start, chosen by the build (instruments/widget_data.py)
    v: undefined, // the modeled view, VIEWS[0]: left out of a shared URL
  };
  const shared = initialState(NAME);
  const state = {
    i: pickIndex(lengths, shared.n, lengths.indexOf(defaults.n)),
    d: pickIndex(widths, shared.d, widths.indexOf(defaults.d)),
    N: pickIndex(states, shared.N, states.indexOf(defaults.N)),
    v: VIEWS.includes(shared.v) ? shared.v : VIEWS[0],
  };
  const series = () => data.series[`${widths[state.d]},${states[state.N]}`];

  const labelled = new Set([0, 3, 6, 9, lengths.length - 1]);
  const context = rangeControl({
    id: `${NAME}-n`, label: "Context length", count: lengths.length, index: state.i,
    valueText: (i) => formatTokens(lengths[i]),
    tickText: (i) => (labelled.has(i) ? shortTokens(lengths[i]) : ""),
    onChange: (i) => { state.i = i; changed(); },
  });
  const width = rangeControl({
    id: `${NAME}-d`, label: "Model width (d)", count: widths.length, index: state.d,
    valueText: (i) => groupThousands(widths[i]),
    tickText: (i) => shortTokens(widths[i]),
    onChange: (i) => { state.d = i; changed(); },
  });
  const stateSize = rangeControl({
    id: `${NAME}-N`, label: "State size (N)", count: states.length, index: state.N,
    valueText: (i) => String(states[i]),
    tickText: (i) => String(states[i]),
    onChange: (i) => { state.N = i; changed(); },
  });

  const out = {
    attention: readout("attention-flops", "Attention", "n²·d FLOPs per layer"),
    ssm: readout("ssm-flops", "SSM scan", "n·E·d·N FLOPs per layer"),
    linear: readout("linear-flops", "Linear attention", "n·d·d_h FLOPs per layer"),
    ratio: readout("ratio", "Attention ÷ scan", "times more mixing work"),
    kv: readout("kv-cache", "KV cache", "decode memory, grows with n"),
    state: readout("ssm-state", "SSM state", "decode memory, fixed size"),
    linearState: readout("linear-state", "Linear-attention state", "decode memory, fixed size"),
  };
  const readouts = h("dl", { class: "readouts readouts-scaling", "aria-live": "polite" }, Object.values(out).map((r) => r.root));

  let drawnSeries = null; // the curves on the chart: they change with d and N, not n
  const chart = lazyChart({
    loadPlotly,
    label: "Log–log chart of token-mixing FLOPs per layer from 512 to 1M tokens: attention's line rises twice as steeply as the scan's and linear attention's, which run parallel; a marker shows the chosen number of tokens.",
    figure: (colors, narrow) => figure(colors, narrow),
    marker: () => {
      const s = series();
      return {
        x: lengths[state.i],
        points: [
          { y: s.attention_flops[state.i], color: "accent" },
          { y: s.ssm_flops[state.i], color: "link" },
          { y: s.linear_flops[state.i], color: "ink2" },
        ],
      };
    },
    update: (Plotly, el) => {
      const s = series();
      drawnSeries = s;
      Plotly.restyle(el, { y: [s.attention_flops, s.ssm_flops, s.linear_flops] }, [0, 1, 2]);
    },
  });

  function figure(colors, narrow) {
    const s = series();
    drawnSeries = s;
    const all = Object.values(data.series);
    const low = Math.min(...all.map((x) => Math.min(...x.ssm_flops, ...x.linear_flops)));
    const high = Math.max(...all.map((x) => Math.max(...x.attention_flops)));
    const line = (name, y, color, dash) => ({
      type: "scatter", mode: "lines+markers", name, x: lengths, y,
      line: { color, width: 2.5, dash }, marker: { color, size: 5 },
      hovertemplate: `%{x:,} tokens<br>%{y:.2e} FLOPs<extra>${name}</extra>`,
    });
    return {
      data: [
        line("Attention, n²·d", s.attention_flops, colors.accent, "solid"),
        line("SSM scan, n·E·d·N", s.ssm_flops, colors.link, "dash"),
        line("Linear attention, n·d·d_h", s.linear_flops, colors.ink2, "dot"),
      ],
      layout: baseLayout(colors, narrow, {
        xaxis: {
          type: "log", title: { text: "Context length n (tokens)" },
          range: [Math.log10(lengths[0]) - 0.08, Math.log10(lengths[lengths.length - 1]) + 0.08],
          tickvals: lengths.filter((_, i) => labelled.has(i)),
          ticktext: lengths.filter((_, i) => labelled.has(i)).map(shortTokens),
        },
        yaxis: {
          type: "log", title: { text: "FLOPs per layer" }, exponentformat: "power",
          range: [Math.log10(low) - 0.3, Math.log10(high) + 0.3], dtick: 2,
        },
      }),
    };
  }

  // the same layers measured on a GPU (instruments/measured_view.js): a view each for prefill and decode
  const measured = data.measured
    ? measuredViews({ data: data.measured, loadPlotly, lengths, labelled, view: state.v, onView: (v) => { state.v = v; changed(); } })
    : null;
  const modeled = h("div", { class: "instrument-view", dataset: { view: "model" } });

  const values = () => ({ n: lengths[state.i], d: widths[state.d], N: states[state.N], v: state.v === VIEWS[0] ? undefined : state.v });
  const save = bindState(NAME, {
    values,
    defaults,
    apply: (shared) => {
      state.i = pickIndex(lengths, shared.n, state.i);
      state.d = pickIndex(widths, shared.d, state.d);
      state.N = pickIndex(states, shared.N, state.N);
      state.v = VIEWS.includes(shared.v) ? shared.v : VIEWS[0];
      context.set(state.i);
      width.set(state.d);
      stateSize.set(state.N);
      render();
    },
  });

  function render() {
    const s = series();
    const i = state.i;
    out.attention.set(formatFlops(s.attention_flops[i]));
    out.ssm.set(formatFlops(s.ssm_flops[i]));
    out.linear.set(formatFlops(s.linear_flops[i]));
    out.ratio.set(formatRatio(s.ratio[i]));
    out.kv.set(formatBytes(s.kv_cache_bytes[i]));
    out.state.set(formatBytes(s.ssm_state_bytes));
    out.linearState.set(formatBytes(s.linear_state_bytes));
    if (s !== drawnSeries) chart.schedule();
    chart.mark();
    if (measured) {
      const modelShown = state.v === "model";
      modeled.hidden = !modelShown;
      width.root.hidden = !modelShown;
      stateSize.root.hidden = !modelShown;
      measured.render(state.i, state.v);
    }
  }

  function changed() {
    render();
    save();
  }

  render();
  element.replaceChildren(
    h("div", { class: "instrument-live instrument-scaling" },
      h("div", { class: "controls controls-2" },
        h("div", { class: "control-wide" }, context.root),
        width.root,
        stateSize.root),
      readouts,
      h("p", { class: "instrument-note" },
        `Per layer: attention and linear attention in heads of d_h = ${data.d_h}, the scan on E·d channels `
        + `(E = ${data.E}) with a width-${data.conv_width} convolution, ${data.bytes_per_value} bytes a stored `
        + "value (fp16); constant factors dropped, as in EQ 11.1. N = 128 is Mamba-2's default; Mamba used 16."),
      chart.element),
  );
  if (measured) {
    // the modeled view's readouts, note and chart go into a panel of their own, beside the measured ones
    const live = element.firstElementChild;
    live.querySelector(".controls").append(measured.control);
    modeled.append(...[...live.children].slice(1));
    live.append(modeled, ...measured.panels);
  }
  return { values };
}
