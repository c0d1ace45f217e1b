// Reading and grading quiz answers (static/js/quiz-answer.js), under Node's test runner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { grade, readNumber, readBoolean } from "../../static/js/quiz-answer.js";

const doubling = { kind: "numeric", answer: 4, tolerance: 1e-9, unit: "×", units: ["x", "times"] };
const storage = { kind: "numeric", answer: 17.5, tolerance: 0.01, unit: "GB", units: [] };
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
  for (const text of ["", "   ", "abc", "four", "4..0", "x", "1,2,3"]) {
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

test("true/false in any case", () => {
  for (const text of ["true", "TRUE", "True", " tRuE "]) assert.equal(grade(text, truth).verdict, "right", text);
  for (const text of ["false", "FALSE"]) assert.equal(grade(text, truth).verdict, "wrong", text);
  for (const text of ["", "yes", "1", "maybe"]) {
    const result = grade(text, truth);
    assert.equal(result.verdict, "unreadable", text);
    assert.match(result.message, /true or false/);
  }
  assert.equal(readBoolean("False").value, false);
});
