// A live cell's pure helpers, under Node's test runner: the page's output cap
// (static/js/output-cap.js) and what a cell says and draws (static/js/cell-text.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCap } from "../../static/js/output-cap.js";
import { cleanFigure, failureText, statusText } from "../../static/js/cell-text.js";

test("the cap keeps whole lines up to its line limit and says it cut", () => {
  const cap = createCap({ lines: 3, chars: 100 });
  const parts = [cap.take("a\nb\n"), cap.take("c\nd\ne\n"), cap.take("f\n")];
  assert.deepEqual(parts, ["a\nb\n", "c\n", ""]);
  assert.equal(cap.truncated, true);
});

test("the cap cuts at its character limit", () => {
  const small = createCap({ lines: 100, chars: 5 });
  const cut = [small.take("abc"), small.take("defg"), small.truncated];
  assert.deepEqual(cut, ["abc", "de", true]);
});

test("a figure keeps numbers, short labels and known axis types, and nothing else", () => {
  const figure = cleanFigure({
    traces: [{ x: [1, "x", 3], y: [1, 2, 3], name: "n", onclick: "evil" }],
    layout: { title: "t", xaxis: { type: "log", title: "x" }, yaxis: { type: "weird" }, images: [1] },
    table: { columns: ["x", "n", "extra"], rows: [["1", 2, "<b>3</b>"], "bad"], total: 1.5 },
  });
  assert.deepEqual(figure, {
    traces: [{ x: [1, null, 3], y: [1, 2, 3], mode: "lines+markers", name: "n" }],
    layout: { title: "t", xaxis: { title: "x", type: "log" }, yaxis: { title: "", type: "linear" } },
    table: { columns: ["x", "n"], rows: [["1", ""], []], total: 0 },
  });
});

test("a finished run says its time with grouped digits", () => {
  assert.equal(statusText({ phase: "done", result: { status: "ok", ms: 1234.5 } }), "Done in 1,235 ms.");
});

test("a package that cannot be downloaded is named with its URL", () => {
  const failed = failureText({ kind: "package", packages: ["numpy"], url: "https://x/numpy.whl" });
  assert.ok(failed.startsWith("Could not download numpy from https://x/numpy.whl: "), failed);
});
