// Instrument: architecture matrix. The four families of section 11.5 side by side,
// their qualitative rows, and per-layer FLOPs and decode memory at a chosen context
// length (eq-11-1, eq-11-5), with the hybrid's attention ratio as a control; below them,
// released models and their whole-model decode memory at the same context length.
// Every number is looked up in the build's data (instruments/widget_data.py).

import { formatBytes, formatFlops, formatPeriod, formatTokens, groupThousands, memoryOrNone, pickIndex, shortTokens, splitList } from "../format.js";
import { bindState, h, initialState, rangeControl, scrollRegion } from "../widget.js";

const NAME = "architecture-matrix";

const TEXT_ROWS = [
  ["token_mix", "Token-mix cost"],
  ["decode_memory", "Decode memory"],
  ["exact_recall", "Exact recall"],
  ["best_at", "Best at"],
  ["weakest_at", "Weakest at"],
];

export function mount(element, { data }) {
  const lengths = data.context_lengths;
  const periods = data.hybrid_periods;
  const families = data.families;
  const ids = families.map((f) => f.id);
  const defaults = { ...data.defaults, hide: [] }; // where the controls start (instruments/widget_data.py)
  const shared = initialState(NAME);
  const state = {
    i: pickIndex(lengths, shared.n, lengths.indexOf(defaults.n)),
    k: pickIndex(periods, shared.k, periods.indexOf(defaults.k)),
    shown: new Set(ids),
  };
  hideFrom(shared.hide);

  function hideFrom(text) {
    if (text === undefined) return;
    const hidden = new Set(splitList(text).filter((id) => ids.includes(id)));
    if (hidden.size >= ids.length) hidden.delete(ids[0]);
    state.shown = new Set(ids.filter((id) => !hidden.has(id)));
  }

  // controls
  const note = h("p", { class: "instrument-note toggle-note", role: "status" });
  const buttons = families.map((family) =>
    h("button", {
      type: "button", class: "family-toggle", "aria-pressed": "true", dataset: { family: family.id },
      onclick: () => toggle(family.id),
    }, h("span", { class: "check", "aria-hidden": "true" }), family.name));
  const toggles = h("div", { class: "family-toggles", role: "group", "aria-labelledby": `${NAME}-families` },
    h("span", { class: "group-label", id: `${NAME}-families` }, "Families shown"), buttons);

  const context = rangeControl({
    id: `${NAME}-n`, label: "Context length", hiddenLabel: "(architecture matrix)", count: lengths.length, index: state.i,
    valueText: (i) => formatTokens(lengths[i]),
    tickText: (i) => ([0, 3, 6, 9, lengths.length - 1].includes(i) ? shortTokens(lengths[i]) : ""),
    onChange: (i) => { state.i = i; changed(); },
  });
  const period = rangeControl({
    id: `${NAME}-k`, label: "Attention layers: 1 in every k", count: periods.length, index: state.k,
    valueText: (i) => (periods[i] === 1 ? "k = 1 (all attention)" : `k = ${periods[i]}`),
    tickText: (i) => String(periods[i]),
    onChange: (i) => { state.k = i; changed(); reveal("hybrid"); },
  });
  period.root.classList.add("hybrid-only");
  const hybridLine = h("p", { class: "instrument-note hybrid-line", "aria-hidden": "true" }); // the table says it aloud

  // the table: a column per family, a row per property
  const cells = new Map(); // `${row}:${family}` -> td
  const column = (family, tag, attributes, ...children) =>
    h(tag, { ...attributes, dataset: { ...(attributes.dataset || {}), family: family.id } }, ...children);
  const head = h("tr", {}, h("td", { class: "corner" }),
    families.map((f) => column(f, "th", { scope: "col" }, f.name)));
  const textRows = TEXT_ROWS.map(([key, label]) =>
    h("tr", {}, h("th", { scope: "row" }, label), families.map((f) => column(f, "td", {}, f[key]))));
  const computed = [
    ["attention", "Attention layers"],
    ["flops", "Token-mix FLOPs per layer"],
    ["decode_bytes", "Decode memory per layer"],
  ].map(([key, label]) =>
    h("tr", { dataset: { row: key } }, h("th", { scope: "row" }, label),
      families.map((f) => {
        const cell = column(f, "td", { class: "computed-cell", dataset: { readout: `${key}-${f.id}` } });
        cells.set(`${key}:${f.id}`, cell);
        return cell;
      })));
  const table = h("table", { class: "matrix", "aria-describedby": `${NAME}-table-note` },
    h("caption", { class: "visually-hidden" }, "The four families compared"),
    h("thead", {}, head),
    h("tbody", {}, textRows),
    h("tbody", { class: "computed-rows", "aria-live": "polite" }, computed));
  const wrap = h("div", { class: "table-scroll" }, table);
  scrollRegion(wrap, "Architecture matrix (scrolls sideways)");

  // released models: a row each, whole-model decode memory at the chosen length
  const models = data.models || [];
  const modelCell = (key) => {
    const cell = h("td", { class: "computed-cell", dataset: { readout: key } });
    cells.set(key, cell);
    return cell;
  };
  const modelTable = h("table", { class: "matrix matrix-models", "aria-describedby": `${NAME}-models-note` },
    h("caption", { class: "visually-hidden" }, "Released models: decode memory at the chosen context length"),
    h("thead", {}, h("tr", {},
      ["Model", "Token-mixing layers", "KV cache", "Recurrent state", "Decode memory"].map((text) =>
        h("th", { scope: "col" }, text)))),
    h("tbody", {}, models.map((m) =>
      h("tr", { dataset: { model: m.id } },
        h("th", { scope: "row" }, h("a", { href: `#ref-${m.source}`, title: m.shape }, m.name)),
        h("td", {}, m.layers),
        modelCell(`model-kv-${m.id}`),
        h("td", { class: "computed-cell", dataset: { readout: `model-state-${m.id}` } }, memoryOrNone(m.state_bytes)),
        modelCell(`model-total-${m.id}`)))));
  const modelWrap = h("div", { class: "table-scroll" }, modelTable);
  scrollRegion(modelWrap, "Released models (scrolls sideways)");

  function value(metric, id) {
    const list = id === "hybrid" ? data[metric].hybrid[state.k] : data[metric][id];
    return list[state.i];
  }
  function attentionText(id) {
    if (id === "transformer") return "every layer";
    if (id === "hybrid") return formatPeriod(periods[state.k]);
    return "none";
  }

  function render() {
    for (const id of ids) {
      const shown = state.shown.has(id);
      table.querySelectorAll(`[data-family="${id}"]`).forEach((cell) => { cell.hidden = !shown; });
      const button = buttons[ids.indexOf(id)];
      button.setAttribute("aria-pressed", String(shown));
      const set = (key, text) => {
        const cell = cells.get(`${key}:${id}`);
        if (cell.textContent !== text) cell.textContent = text;
      };
      set("attention", attentionText(id));
      set("flops", formatFlops(value("flops", id)));
      set("decode_bytes", formatBytes(value("decode_bytes", id)));
    }
    period.root.hidden = !state.shown.has("hybrid");
    // on a phone the table's computed rows are far below the slider: repeat the hybrid's here
    hybridLine.hidden = period.root.hidden;
    hybridLine.textContent = `Hybrid, ${attentionText("hybrid")}: ${formatFlops(value("flops", "hybrid"))} `
      + `and ${formatBytes(value("decode_bytes", "hybrid"))} of decode memory per layer`;
    for (const m of models) {
      const put = (key, text) => {
        const cell = cells.get(key);
        if (cell.textContent !== text) cell.textContent = text;
      };
      put(`model-kv-${m.id}`, memoryOrNone(m.kv_cache_bytes[state.i]));
      put(`model-total-${m.id}`, formatBytes(m.decode_bytes[state.i]));
    }
  }

  function toggle(id) {
    if (state.shown.has(id)) {
      if (state.shown.size === 1) {
        note.textContent = "At least one family stays shown.";
        return;
      }
      state.shown.delete(id);
    } else {
      state.shown.add(id);
    }
    note.textContent = "";
    changed();
    if (state.shown.has(id)) reveal(id);
  }

  // On a narrow screen the table scrolls sideways: bring the column of the family
  // being changed into view, beside the row labels that stay at the left.
  function reveal(id) {
    const cell = table.querySelector(`thead [data-family="${id}"]`);
    if (!cell || wrap.scrollWidth <= wrap.clientWidth + 1) return;
    const labels = table.querySelector("tbody th")?.offsetWidth ?? 0;
    const start = cell.offsetLeft - labels;
    const end = cell.offsetLeft + cell.offsetWidth - wrap.clientWidth;
    if (wrap.scrollLeft > start || wrap.scrollLeft < end) {
      const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      wrap.scrollTo({ left: Math.max(end, Math.min(start, wrap.scrollLeft)), behavior: smooth ? "smooth" : "auto" });
    }
  }

  const values = () => ({
    n: lengths[state.i], k: periods[state.k], hide: ids.filter((id) => !state.shown.has(id)),
  });
  const save = bindState(NAME, {
    values,
    defaults,
    apply: (shared) => {
      state.i = pickIndex(lengths, shared.n, state.i);
      state.k = pickIndex(periods, shared.k, state.k);
      hideFrom(shared.hide ?? "");
      context.set(state.i);
      period.set(state.k);
      render();
    },
  });

  function changed() {
    render();
    save();
  }

  render();
  element.replaceChildren(
    h("div", { class: "instrument-live instrument-matrix" },
      toggles,
      note,
      h("div", { class: "controls controls-2" }, context.root, period.root),
      hybridLine,
      h("p", { class: "instrument-note", id: `${NAME}-table-note` },
        `The last three rows are computed at the chosen context length, per layer (d = ${groupThousands(data.d)} `
        + `in heads of ${data.d_h}; SSM with E = ${data.E}, N = ${data.N} and a width-${data.conv_width} convolution; `
        + `${data.bytes_per_value} bytes a value); the hybrid's are means over its layers.`),
      wrap,
      h("p", { class: "instrument-note", id: `${NAME}-models-note` },
        "Released models at the same context length: the KV cache of the attention layers plus the fixed state "
        + `of the recurrent layers, for one sequence, ${data.bytes_per_value} bytes a value. Engines that keep `
        + "recurrent states in fp32 double the state column."),
      modelWrap),
  );
  return { values };
}
