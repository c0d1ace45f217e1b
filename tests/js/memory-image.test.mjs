// static/js/memory-image.js under Node: the site's snapshot file stores the static data
// as its difference from the memory instantiation leaves, and undoes it exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import {
  PAGE, digestOf, packSnapshot, undoDifference, undoingOnInstantiation, unpackSnapshot, watchInstantiation,
} from "../../static/js/memory-image.js";

const PAGES = 16;
const END = 6 * PAGE; // the "static data": below it, the file stores a difference

/** Random bytes from a fixed seed (xorshift32). */
function noise(length, seed) {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A memory as instantiation leaves it: static data in its first pages, zeros above. */
function instantiated() {
  const memory = new WebAssembly.Memory({ initial: 1 }); // 64 KiB, 16 pages
  new Uint8Array(memory.buffer).set(noise(END - PAGE, 7)); // the last page below END stays empty
  return memory;
}

/** Pyodide's snapshot of that memory after a start: its header, then the memory, a few pages changed. */
function pyodideSnapshot(memory) {
  const at = 128;
  const snapshot = new Uint8Array(at + PAGES * PAGE);
  const head = new DataView(snapshot.buffer);
  head.setUint32(0, 0x706e7300, true);
  head.setUint32(4, at, true);
  const image = snapshot.subarray(at);
  image.set(new Uint8Array(memory.buffer, 0, PAGES * PAGE));
  image.set(noise(100, 11), 2 * PAGE + 40); // Python's start changed a little of the static data
  image.set(noise(PAGE, 13), 5 * PAGE); // and wrote into the empty page below END
  image.set(noise(3 * PAGE, 17), 9 * PAGE); // and into its heap
  return snapshot;
}

test("the file stores the unchanged static data as zeros, and undoing the difference gives Pyodide's snapshot back", () => {
  const memory = instantiated();
  const snapshot = pyodideSnapshot(memory);
  const packed = packSnapshot(snapshot, new Uint8Array(memory.buffer), END);
  const file = unpackSnapshot(packed.slice().buffer);
  assert.equal(file.end, END);
  assert.equal(file.snapshot.byteLength, snapshot.byteLength);
  assert.equal(file.undone, false);
  // Pyodide's header is kept, but its magic number is spoiled until the difference is
  // undone; the unchanged static data are zeros
  assert.notDeepEqual(file.snapshot.subarray(0, 4), snapshot.subarray(0, 4));
  assert.deepEqual(file.snapshot.subarray(4, 128), snapshot.subarray(4, 128));
  const stored = file.snapshot.subarray(128);
  assert.ok(stored.subarray(0, 2 * PAGE).every((b) => b === 0));
  assert.ok(stored.subarray(2 * PAGE + 40, 2 * PAGE + 140).some((b) => b !== 0));
  assert.ok(gzipSync(packed).byteLength < gzipSync(snapshot).byteLength / 2);

  undoDifference(file, memory);
  assert.equal(file.undone, true);
  assert.deepEqual(file.snapshot, snapshot);
  undoDifference(file, memory); // once undone, a second call changes nothing
  assert.deepEqual(file.snapshot, snapshot);
});

test("a memory other than the one the difference was taken against is refused, and nothing is undone", () => {
  const memory = instantiated();
  const snapshot = pyodideSnapshot(memory);
  const file = unpackSnapshot(packSnapshot(snapshot, new Uint8Array(memory.buffer), END).buffer);
  const before = file.snapshot.slice();
  const other = instantiated();
  new Uint8Array(other.buffer)[END - PAGE - 1] ^= 1; // one bit of the static data differs
  assert.throws(() => undoDifference(file, other), /another module's memory/);
  assert.equal(file.undone, false);
  assert.deepEqual(file.snapshot, before);
  // a change above END does not matter: the difference stops there
  const above = instantiated();
  new Uint8Array(above.buffer)[END + 5] = 9;
  undoDifference(file, above);
  assert.deepEqual(file.snapshot, snapshot);
});

test("the digest tells apart memories that differ in any bits, the highest of two words included", () => {
  const words = new Uint32Array(noise(4 * PAGE, 5).buffer);
  const n = words.length;
  const seen = new Set([digestOf(words, n)]);
  const flipped = (...changes) => {
    const copy = words.slice();
    for (const [i, bit] of changes) copy[i] ^= 2 ** bit;
    return digestOf(copy, n);
  };
  for (const changes of [[[0, 0]], [[n - 1, 31]], [[3, 31], [7, 31]], [[10, 16], [11, 16]], [[100, 5], [100, 6]]]) {
    const digest = flipped(...changes);
    assert.ok(!seen.has(digest), JSON.stringify(changes));
    seen.add(digest);
  }
  assert.notEqual(digestOf(words, n), digestOf(words, n - 1)); // its length counts too
});

test("a file that is not one is refused by name; an end off a page boundary cannot be packed", () => {
  assert.throws(() => unpackSnapshot(new ArrayBuffer(8)), /not a memory snapshot of this site/);
  assert.throws(() => unpackSnapshot(noise(4096, 3).buffer), /not a memory snapshot of this site/);
  const memory = instantiated();
  const snapshot = pyodideSnapshot(memory);
  assert.throws(() => packSnapshot(snapshot, new Uint8Array(memory.buffer), END + 8), RangeError);
  assert.throws(() => packSnapshot(snapshot, new Uint8Array(memory.buffer), (PAGES + 1) * PAGE), RangeError);
});

// (module (memory (export "memory") 1) (data (i32.const 8) "\01\02\03\04"))
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x05, 0x03, 0x01, 0x00, 0x01,
  0x07, 0x0a, 0x01, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,
  0x0b, 0x0a, 0x01, 0x00, 0x41, 0x08, 0x0b, 0x04, 0x01, 0x02, 0x03, 0x04,
]);

test("each instantiated module's memory is seen before the caller gets the instance, until watching stops", async () => {
  const { instantiate, instantiateStreaming } = WebAssembly;
  const seen = [];
  const unwatch = watchInstantiation((memory) => seen.push(new Uint8Array(memory.buffer, 8, 4).slice()));
  try {
    const { instance } = await WebAssembly.instantiate(MODULE);
    assert.deepEqual(seen, [new Uint8Array([1, 2, 3, 4])]); // the data segment, already written
    new Uint8Array(instance.exports.memory.buffer)[8] = 0; // what the module's code might do later
    const again = await WebAssembly.instantiate(await WebAssembly.compile(MODULE)); // a Module gives an Instance
    assert.ok(again instanceof WebAssembly.Instance);
    assert.equal(seen.length, 2);
  } finally {
    unwatch();
  }
  assert.equal(WebAssembly.instantiate, instantiate);
  assert.equal(WebAssembly.instantiateStreaming, instantiateStreaming);
  await WebAssembly.instantiate(MODULE);
  assert.equal(seen.length, 2);
});

test("what the watcher throws does not reach the instantiation (Pyodide would wait for ever), and a snapshot left as stored keeps a wrong magic number", async () => {
  const memory = instantiated();
  const snapshot = pyodideSnapshot(memory);
  const file = unpackSnapshot(packSnapshot(snapshot, new Uint8Array(memory.buffer), END).buffer);
  const unwatch = watchInstantiation((instantiatedMemory) => undoDifference(file, instantiatedMemory));
  try {
    const { instance } = await WebAssembly.instantiate(MODULE); // its memory is not the base: refused
    assert.ok(instance instanceof WebAssembly.Instance);
  } finally {
    unwatch();
  }
  assert.equal(file.undone, false);
  assert.notEqual(new DataView(file.snapshot.buffer, file.snapshot.byteOffset).getUint32(0, true), 0x706e7300);
});

test("undoing on instantiation: undone over the memory it was taken against, else why not, and the watch stops", async () => {
  const { instantiate } = WebAssembly;
  const { instance } = await WebAssembly.instantiate(MODULE);
  const base = new Uint8Array(instance.exports.memory.buffer);
  const snapshot = pyodideSnapshot(instance.exports.memory);
  const file = unpackSnapshot(packSnapshot(snapshot, base, PAGE).slice().buffer);
  let undoing = undoingOnInstantiation(() => null); // the file not read yet: nothing to undo
  await WebAssembly.instantiate(MODULE);
  undoing.stop();
  assert.equal(undoing.failed(), null);
  undoing = undoingOnInstantiation(() => file);
  await WebAssembly.instantiate(MODULE); // the same module: the same memory
  undoing.stop();
  assert.equal(undoing.failed(), null);
  assert.equal(file.undone, true);
  assert.deepEqual(file.snapshot, snapshot);

  const other = unpackSnapshot(packSnapshot(snapshot, noise(PAGE, 9), PAGE).slice().buffer);
  undoing = undoingOnInstantiation(() => other);
  await WebAssembly.instantiate(MODULE);
  undoing.stop();
  assert.match(String(undoing.failed()), /another module's memory/);
  assert.equal(other.undone, false);
  assert.equal(WebAssembly.instantiate, instantiate); // stopped
});
