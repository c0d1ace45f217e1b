// Axis ticks a reader can read, for the charts of the code cells: the live Plotly
// chart (static/js/chart.js) and the static image (chart_image.js) use the same
// ones, and the same series colours. Pure: numbers in, positions and labels out.

import { shortTokens } from "./format.js";

/** How many colours the series of a chart cycle through (--series-0 … in site.css). */
export const SERIES_COLORS = 3;

/** The CSS variable of series `i`'s colour: "--series-0", "--series-1" … cycling. */
export function seriesColor(i) {
  return `--series-${i % SERIES_COLORS}`;
}

const SUPERSCRIPTS = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

function superscript(k) {
  return [...String(k)].map((c) => SUPERSCRIPTS[c]).join("");
}

/**
 * Labels for the ticks of a decimal log axis, one style for the whole axis: plain
 * digits when every tick lies between 0.0001 and 99,999 (0.01, 20, 5,000), else
 * powers of ten (10⁻⁶, 2×10¹²).
 */
export function decimalLabels(values, { plain = values.every((v) => v >= 1e-4 && v < 1e5) } = {}) {
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

/**
 * Ticks of a linear axis over [lo, hi]: about `most` round values (steps of 1, 2, 2.5 or 5
 * times a power of ten) with labels in one style, grouped digits (1,500, 0.25) or,
 * for very large or small magnitudes, powers of ten (7×10¹³).
 */
export function linearTicks(lo, hi, most = 6) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return { tickvals: [], ticktext: [] };
  if (hi === lo) {
    const pad = Math.abs(lo) || 1;
    lo -= pad / 2;
    hi += pad / 2;
  }
  const raw = (hi - lo) / Math.max(most - 1, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9));
  const tickvals = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    tickvals.push(Number(v.toPrecision(12)));
  }
  const biggest = Math.max(...tickvals.map(Math.abs));
  const plain = biggest < 1e5 && (biggest === 0 || step >= 1e-4);
  const ticktext = tickvals.map((v) => {
    if (v === 0) return "0";
    if (plain) return Number(v.toPrecision(6)).toLocaleString("en-US", { maximumFractionDigits: 6 });
    const [label] = decimalLabels([Math.abs(v)], { plain: false });
    return v < 0 ? `−${label}` : label;
  });
  return { tickvals, ticktext };
}
