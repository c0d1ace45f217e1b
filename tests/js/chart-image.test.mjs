// The charts' ticks (instruments/ticks.js) and the static image of a cell's chart
// (instruments/chart_image.js), under Node's test runner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SERIES_COLORS, decimalLabels, linearTicks, logTicks, seriesColor } from "../../instruments/ticks.js";
import { chartImage } from "../../instruments/chart_image.js";

const tokens = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576];

test("a power-of-two log axis reads 256, 1K … 1M, keeping the largest", () => {
  const { tickvals, ticktext } = logTicks(tokens, 8);
  assert.deepEqual(ticktext, ["256", "1K", "4K", "16K", "64K", "256K", "1M"]);
  assert.equal(tickvals.at(-1), 2 ** 20);
  assert.deepEqual(logTicks([512, 1024, 2048]).ticktext, ["512", "1K", "2K"]);
});

test("a decimal log axis gets powers of ten, or 1-2-5 when too few", () => {
  assert.deepEqual(logTicks([1e9, 1e15]).ticktext, ["10⁹", "10¹⁰", "10¹¹", "10¹²", "10¹³", "10¹⁴", "10¹⁵"]);
  assert.deepEqual(logTicks([3, 90]).ticktext, ["5", "10", "20", "50"]);
  assert.equal(logTicks([0, -1]), null);
  assert.deepEqual(decimalLabels([2e12, 1e-6]), ["2×10¹²", "10⁻⁶"]);
});

test("a linear axis gets round steps and one label style", () => {
  assert.deepEqual(linearTicks(0, 1.2, 6), { tickvals: [0, 0.25, 0.5, 0.75, 1], ticktext: ["0", "0.25", "0.5", "0.75", "1"] });
  assert.deepEqual(linearTicks(0, 7.2e13, 6).ticktext, ["0", "2×10¹³", "4×10¹³", "6×10¹³"]);
  assert.deepEqual(linearTicks(0, 2500, 6).ticktext, ["0", "500", "1,000", "1,500", "2,000", "2,500"]);
  assert.equal(linearTicks(5, 5).tickvals.length > 0, true);
});

const figure = {
  traces: [
    { x: [256, 512, 1024], y: [1, 4, 16], name: "attention <O(n²)>" },
    { x: [256, 512, 1024], y: [1, 2, null], name: "scan" },
  ],
  layout: { title: "Cost & context", xaxis: { title: "context (tokens)", type: "log" }, yaxis: { title: "FLOPs", type: "log" } },
};

test("the image has the title, the legend, the axis titles and ticks, escaped", () => {
  const svg = chartImage(figure);
  assert.match(svg, /^<svg class="plot-image" viewBox="0 0 600 300"/);
  assert.match(svg, /aria-hidden="true"/);
  for (const text of ["Cost &amp; context", "attention &lt;O(n²)&gt;", "scan", "context (tokens)", "FLOPs", ">512<", ">1K<"]) {
    assert.ok(svg.includes(text), text);
  }
  assert.ok(!svg.includes("<O(n²)>"));
});

test("series colours are CSS variables, cycling", () => {
  assert.equal(SERIES_COLORS, 3);
  assert.deepEqual([0, 1, 2, 3, 4].map(seriesColor), ["--series-0", "--series-1", "--series-2", "--series-0", "--series-1"]);
});

test("each series is one path in its colour variable, a gap where a value is missing", () => {
  const svg = chartImage(figure);
  const groups = /<g class="series" style="color:var\((--series-\d)\)"><path d="([^"]*)"\/>((?:<circle[^>]*>)*)<\/g>/g;
  const all = [...svg.matchAll(groups)];
  assert.equal(all.length, 4); // two series, two legend swatches
  assert.ok(!/class="s\d"/.test(svg));
  const series = all.filter((m) => m[3].split("<circle").length - 1 > 1); // the legend's swatches have one dot
  assert.deepEqual(series.map((m) => m[1]), ["--series-0", "--series-1"]);
  const swatches = all.filter((m) => m[3].split("<circle").length - 1 === 1);
  assert.deepEqual(swatches.map((m) => m[1]), ["--series-0", "--series-1"]);
  assert.equal(series[0][2].match(/[ML]/g).join(""), "MLL");
  assert.equal(series[1][2].match(/[ML]/g).join(""), "ML"); // the null is left out
  assert.equal(series[0][3].split("<circle").length - 1, 3);
  // the first points coincide (same x, same y), the last attention point is at the top
  const points = series[0][2].slice(1).split("L").map((p) => p.split(" ").map(Number));
  const scanStart = series[1][2].slice(1).split("L")[0].split(" ").map(Number);
  assert.deepEqual(points[0], scanStart);
  assert.ok(points[2][1] < points[1][1] && points[1][1] < points[0][1]);
  // equal steps on a log axis: 1 → 4 → 16 rise by the same height
  assert.ok(Math.abs((points[0][1] - points[1][1]) - (points[1][1] - points[2][1])) < 0.2);
});

test("a figure with nothing to draw still gives an image with its axis titles", () => {
  const svg = chartImage({ traces: [{ x: [1, 2], y: [0, -1] }], layout: { xaxis: { title: "x" }, yaxis: { title: "y", type: "log" } } });
  assert.match(svg, /<svg/);
  assert.ok(!svg.includes("<circle"));
  assert.ok(svg.includes(">x<") && svg.includes(">y<"));
});
