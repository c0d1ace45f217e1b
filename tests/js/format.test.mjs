// The instruments' pure helpers (instruments/format.js), under Node's test runner.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ascendingOrder, differsFromDefaults, formatBits, formatBytes, formatFlops, formatGB, formatMs, formatParams,
  formatPercent, formatPeriod, formatRatio, formatTokens, groupThousands, memoryOrNone, parseFragment, pickIndex,
  plainNumber, serialiseFragment, shortTokens, sig3, splitList,
} from "../../instruments/format.js";

test("numbers read as the chapter prints them", () => {
  assert.equal(formatRatio(65536), "65,536×");
  assert.equal(formatGB(17.5), "17.5 GB");
  assert.equal(formatFlops(1.2e15), "1.2e15 FLOPs");
  assert.equal(formatBytes(131072), "131 KB");
  assert.equal(formatBytes(17179869184), "17.2 GB");
});

test("thousands are grouped and rounded half up", () => {
  assert.equal(groupThousands(0), "0");
  assert.equal(groupThousands(999), "999");
  assert.equal(groupThousands(1000), "1,000");
  assert.equal(groupThousands(1048576), "1,048,576");
  assert.equal(groupThousands(2.5), "3");
  assert.equal(formatTokens(131072), "131,072 tokens");
});

test("three significant digits without trailing zeros, exact halves up", () => {
  assert.equal(sig3(140), "140");
  assert.equal(sig3(17.5), "17.5");
  assert.equal(sig3(2.0), "2");
  assert.equal(sig3(0.0625), "0.0625");
  assert.equal(sig3(0.00536742), "0.00537");
  assert.equal(sig3(3.125), "3.13"); // an exact binary half rounds up, as toPrecision does
  assert.equal(sig3(999.7), "1.00e3");
  assert.equal(sig3(2.625), "2.63");
  assert.equal(sig3(0), "0");
});

test("numbers shown as they are", () => {
  assert.equal(plainNumber(3), "3");
  assert.equal(plainNumber(3.0), "3");
  assert.equal(plainNumber(1.58), "1.58");
  assert.equal(plainNumber(262144), "262144");
});

test("FLOPs always in e-notation with one decimal", () => {
  assert.equal(formatFlops(1073741824), "1.1e9 FLOPs");
  assert.equal(formatFlops(4503599627370496), "4.5e15 FLOPs");
  assert.equal(formatFlops(9.96e12), "1.0e13 FLOPs");
});

test("bytes step through decimal units and never show 1000 of a unit", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1000), "1 KB");
  assert.equal(formatBytes(1048576), "1.05 MB");
  assert.equal(formatBytes(999999), "1 MB");
  assert.equal(formatBytes(2147483648), "2.15 GB");
  assert.equal(formatBytes(1.2e12), "1.2 TB");
  assert.equal(formatBytes(999.6), "1 KB");
});

test("nothing kept reads none", () => {
  assert.equal(memoryOrNone(0), "none");
  assert.equal(memoryOrNone(42949672960), "42.9 GB");
});

test("times step through µs, ms and s and never show 1000 of a unit", () => {
  assert.equal(formatMs(0.01122), "11.2 µs");
  assert.equal(formatMs(437.72), "438 ms");
  assert.equal(formatMs(19400), "19.4 s");
  assert.equal(formatMs(0.9997), "1 ms");
  assert.equal(formatMs(999.7), "1 s");
});

test("storage, errors, ratios, bits, sizes, periods", () => {
  assert.equal(formatGB(140), "140 GB");
  assert.equal(formatGB(13.825), "13.8 GB");
  assert.equal(formatGB(79.9875), "80 GB");
  assert.equal(formatGB(0.5), "500 MB");
  assert.equal(formatPercent(0.11881108374314113), "11.9%");
  assert.equal(formatPercent(0.25), "25%");
  assert.equal(formatPercent(0.03125), "3.13%");
  assert.equal(formatPercent(1.52587890625e-5), "0.00153%");
  assert.equal(formatRatio(4), "4×");
  assert.equal(formatRatio(12.5), "12.5×");
  assert.equal(formatBits(4), "4 bits");
  assert.equal(formatBits(1.58), "1.58 bits");
  assert.equal(formatBits(1), "1 bit");
  assert.equal(formatParams(7e9), "7 billion");
  assert.equal(formatParams(4.05e11), "405 billion");
  assert.equal(formatPeriod(1), "every layer");
  assert.equal(formatPeriod(8), "1 in every 8");
});

test("short token counts for tick labels", () => {
  assert.deepEqual([512, 1024, 4096, 131072, 1048576].map(shortTokens), ["512", "1K", "4K", "128K", "1M"]);
  assert.equal(shortTokens(1500), "1,500");
});

test("positions: exact matches only, and ascending slider order", () => {
  assert.equal(pickIndex([512, 1024], "1024", 0), 1);
  assert.equal(pickIndex([512, 1024], "1000", 0), 0);
  assert.equal(pickIndex([16, 4, 1.58], "1.58", 0), 2);
  assert.equal(pickIndex(["7B", "70B"], "70B", 0), 1);
  assert.equal(pickIndex([1, 2], undefined, 1), 1);
  assert.deepEqual(ascendingOrder([16, 8, 4, 1.58]), [3, 2, 1, 0]);
});

test("a fragment holds an anchor and every instrument's state", () => {
  const hash = "#instrument-bit-width?bit-width:b=2,P=70B;scaling-explorer:n=65536,d=4096,N=16";
  assert.deepEqual(parseFragment(hash), {
    anchor: "instrument-bit-width",
    states: { "bit-width": { b: "2", P: "70B" }, "scaling-explorer": { n: "65536", d: "4096", N: "16" } },
  });
});

test("plain anchors carry no state; a bare state is anchored at its instrument", () => {
  assert.deepEqual(parseFragment("#s11-4"), { anchor: "s11-4", states: {} });
  assert.deepEqual(parseFragment(""), { anchor: null, states: {} });
  assert.deepEqual(parseFragment("#"), { anchor: null, states: {} });
  assert.deepEqual(parseFragment("#bit-width:b=1.58"), { anchor: "instrument-bit-width", states: { "bit-width": { b: "1.58" } } });
});

test("malformed fragments are read as far as they make sense", () => {
  assert.deepEqual(parseFragment("#x?garbage;;bit-width:b=2,=3,P;:n=1").states, { "bit-width": { b: "2" } });
  assert.deepEqual(parseFragment("#x?bit-width:b=%E0%A4%A").states, { "bit-width": {} });
});

test("serialise and parse round-trip; defaults and empty lists are left out", () => {
  const states = [
    ["scaling-explorer", { n: 65536, d: 4096, N: 16 }],
    ["architecture-matrix", { n: 131072, k: 8, hide: ["ssm", "linear-attention"] }],
    ["bit-width", null],
  ];
  const hash = serialiseFragment("instrument-architecture-matrix", states);
  assert.equal(hash, "#instrument-architecture-matrix?scaling-explorer:n=65536,d=4096,N=16;architecture-matrix:n=131072,k=8,hide=ssm+linear-attention");
  const back = parseFragment(hash);
  assert.equal(back.anchor, "instrument-architecture-matrix");
  assert.deepEqual(splitList(back.states["architecture-matrix"].hide), ["ssm", "linear-attention"]);
  assert.equal(serialiseFragment("instrument-x", [["a", null]]), "#instrument-x");
  assert.equal(serialiseFragment(null, []), "");
  assert.equal(serialiseFragment("a", [["m", { hide: [] }]]), "#a");
});

test("differs from defaults, lists compared as sets", () => {
  const defaults = { n: 131072, hide: [] };
  assert.equal(differsFromDefaults({ n: 131072, hide: [] }, defaults), false);
  assert.equal(differsFromDefaults({ n: 65536, hide: [] }, defaults), true);
  assert.equal(differsFromDefaults({ n: 131072, hide: ["ssm"] }, defaults), true);
  assert.equal(differsFromDefaults({ b: "1.58" }, { b: 1.58 }), false);
});
