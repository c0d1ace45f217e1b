// Reading and grading quiz answers (static/js/quiz-answer.js), under Node's test runner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { grade, readNumber, readBoolean } from "../../static/js/quiz-answer.js";

// as the build writes them into the page (build.py, render_quiz_open)
const doubling = { kind: "numeric", answer: 4, tolerance: 1e-9, unit: "×", units: ["x", "times"], suffix: "×" };
const storage = { kind: "numeric", answer: 17.5, tolerance: 0.01, unit: "GB", units: [], suffix: " GB" };
const truth = { kind: "truefalse", answer: true };

test("numeric answers in the forms a reader types", () => {
  for (const text of ["4", "4.0", "4x", "4×", "4 ×", " 4 X ", "4 times", "+4", "4e0"]) {
    assert.equal(grade(text, doubling).verdict, "right", text);
  }
  for (const text of ["17.5 GB", "17.5GB", "17.5 gb", "17.5", "17.50", "17.6"]) {
    assert.equal(grade(text, storage).verdict, "right", text);
  }
});

test("wrong numbers are wrong, and say so", () => {
  const result = grade("3", doubling);
  assert.equal(result.verdict, "wrong");
  assert.match(result.message, /Not quite/);
  assert.equal(grade("18", storage).verdict, "wrong");
  assert.equal(grade("-4", doubling).verdict, "wrong");
});

test("a likely wrong answer gets its own feedback", () => {
  assert.equal(grade("2", doubling, ["2"]).feedback, "2");
  assert.equal(grade("2x", doubling, ["2"]).feedback, "2");
  assert.equal(grade("3", doubling, ["2"]).feedback, null);
  assert.equal(grade("140 GB", storage, ["140", "8.75"]).feedback, "140");
});

test("unreadable input says what is expected, never wrong", () => {
  for (const text of ["", "   ", "abc", "four", "4..0", "x", "1,2,3", "0x11", "0x4", "3 4", "4e"]) {
    const result = grade(text, doubling);
    assert.equal(result.verdict, "unreadable", text);
    assert.match(result.message, /Enter a number/, text);
  }
  const unit = grade("17.5 MB", storage);
  assert.equal(unit.verdict, "unreadable");
  assert.match(unit.message, /in GB, not MB/);
});

test("thousands separators and the minus sign", () => {
  assert.deepEqual(readNumber("65,536", { answer: 1 }), { ok: true, value: 65536 });
  assert.deepEqual(readNumber("\u22124", { answer: 1 }), { ok: true, value: -4 });
});

test("true/false: the two radio values, and nothing chosen", () => {
  for (const text of ["true", "TRUE", "True", " tRuE ", "true."]) assert.equal(grade(text, truth).verdict, "right", text);
  for (const text of ["false", "FALSE"]) assert.equal(grade(text, truth).verdict, "wrong", text);
  for (const text of ["", "maybe"]) {
    const result = grade(text, truth);
    assert.equal(result.verdict, "unreadable", text);
    assert.match(result.message, /Choose True or False/);
  }
  assert.equal(readBoolean("False").value, false);
});

test("a wrong answer never gives the answer away, and gets its foreseen hint", () => {
  const wrong = grade("false", truth, ["false"]);
  assert.equal(wrong.verdict, "wrong");
  assert.doesNotMatch(wrong.message, /true/i);
  assert.equal(wrong.feedback, "false");
  const numeric = grade("2", doubling, ["2"]);
  assert.doesNotMatch(numeric.message, /4/);
  assert.equal(numeric.feedback, "2");
});

test("a number with an exponent and a unit", () => {
  for (const text of ["17.5e0 GB", "1.75e1", "1.75E1 GB", "17.5e0GB", "17.5 GB."]) {
    assert.equal(grade(text, storage).verdict, "right", text);
  }
});

test("hexadecimal and words are not numbers", () => {
  for (const text of ["0x11", "four", "seventeen GB"]) {
    const result = grade(text, text.endsWith("GB") ? storage : doubling);
    assert.equal(result.verdict, "unreadable", text);
    assert.match(result.message, /is not a number\. Enter a number/, text);
    assert.doesNotMatch(result.message, /This question is in/, text);
  }
});

test("a plural unit also takes its singular", () => {
  const levels = { kind: "numeric", answer: 3, tolerance: 1e-9, unit: "levels", units: [], suffix: " levels" };
  for (const text of ["3 levels", "3 level", "3 Level", "3"]) assert.equal(grade(text, levels).verdict, "right", text);
  assert.equal(grade("3 leve", levels).verdict, "unreadable");
  // a short unit is not cut: GB has no singular "G"
  assert.equal(grade("17.5 G", storage).verdict, "unreadable");
});

test("a decimal comma asks for a point", () => {
  for (const [text, pointed] of [["17,5", "17.5"], ["17,5 GB", "17.5 GB"], ["0,25", "0.25"]]) {
    const result = grade(text, storage);
    assert.equal(result.verdict, "unreadable", text);
    assert.equal(result.message, `Use a point for decimals: ${pointed}, not ${text}.`);
  }
  assert.equal(readNumber("65,536", { answer: 1 }).value, 65536); // thousands still read
});

test("a number too large to represent is said to be so, never shown as ∞", () => {
  for (const text of ["1e400", "-1e400 GB", "9".repeat(400)]) {
    const result = grade(text, storage);
    assert.equal(result.verdict, "unreadable", text);
    assert.match(result.message, /too large a number to check/, text);
    assert.doesNotMatch(result.message, /∞|Infinity/, text);
  }
  // large but finite numbers are graded, and shown in powers of ten
  const big = grade("1e300", storage);
  assert.equal(big.verdict, "wrong");
  assert.match(big.message, /1e300 GB is not the answer/);
});
