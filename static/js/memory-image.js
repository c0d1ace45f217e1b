// Python's memory snapshot as the site ships it: made by the build (build.py,
// SNAPSHOT_JS, under Node), restored by the Python worker (webworker.js).
//
// Pyodide's snapshot holds Python's whole WebAssembly memory, the module's static data
// (about 4 MB below the stack: Python's types, tables and strings) included, though
// Python's start changes little of it and every instantiation of the module writes it
// afresh. So the site's file stores that part, [0, end), as its difference (XOR) from
// the memory as instantiation leaves it: the unchanged pages become zeros, which gzip
// packs to nearly nothing. When the module is instantiated again, before any of its
// code runs, the difference is undone against that same memory, and Pyodide restores
// its own snapshot as usual.
//
// The file carries a digest of the memory the difference was taken against, checked
// before anything is undone: another module, or another memory, is refused. And the
// file stores Pyodide's own magic number spoiled (XOR MAGIC), restored only with the
// difference undone: however a restore goes wrong, Pyodide refuses a snapshot still
// holding the difference ("invalid magic number") instead of starting Python on it.
//
// The file: a header of four little-endian u32, then Pyodide's snapshot.
//   MAGIC, end (bytes, a multiple of PAGE), digest of the instantiated memory's [0, end), 0
// Pyodide's snapshot begins with its own magic number, then its memory image's offset.

export const PAGE = 4096;
const MAGIC = 0x31316863; // "ch11"
const HEADER = 16;

/** A digest of a Uint32Array's first `n` words: MurmurHash3's 32-bit hash of them, seed 0. */
export function digestOf(words, n) {
  let h = 0;
  for (let i = 0; i < n; i++) {
    let k = Math.imul(words[i], 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  h ^= n * 4;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Pyodide's memory image inside its snapshot `snapshot` (a Uint8Array), `end` bytes of it as words. */
function imageWords(snapshot, end) {
  const at = new DataView(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength).getUint32(4, true);
  if ((snapshot.byteOffset + at) % 4 || at + end > snapshot.byteLength) {
    throw new RangeError(`a memory image at ${at} cannot hold ${end} bytes`);
  }
  return new Uint32Array(snapshot.buffer, snapshot.byteOffset + at, end / 4);
}

/**
 * The site's file from Pyodide's snapshot (a Uint8Array) and `base`, the module's
 * memory as instantiation left it (a Uint8Array of at least `end` bytes).
 */
export function packSnapshot(snapshot, base, end) {
  if (end % PAGE || end > base.byteLength) throw new RangeError(`end ${end} is not a page boundary inside the base`);
  const out = new Uint8Array(HEADER + snapshot.byteLength);
  out.set(snapshot, HEADER);
  const image = imageWords(out.subarray(HEADER), end);
  const under = new Uint32Array(base.buffer.slice(base.byteOffset, base.byteOffset + end));
  for (let i = 0; i < image.length; i++) image[i] ^= under[i];
  new Uint32Array(out.buffer, HEADER, 1)[0] ^= MAGIC; // Pyodide's magic number, spoiled
  const head = new DataView(out.buffer);
  head.setUint32(0, MAGIC, true);
  head.setUint32(4, end, true);
  head.setUint32(8, digestOf(under, under.length), true);
  return out;
}

/**
 * The site's file (an ArrayBuffer) read: `snapshot`, Pyodide's snapshot inside it (a
 * view of the same buffer, what loadPyodide's `_loadSnapshot` takes), still holding the
 * difference until `undoDifference`. Throws if the file is not one.
 */
export function unpackSnapshot(buffer) {
  const head = buffer.byteLength >= HEADER ? new DataView(buffer, 0, HEADER) : null;
  if (!head || head.getUint32(0, true) !== MAGIC || head.getUint32(4, true) % PAGE) {
    throw new Error("not a memory snapshot of this site");
  }
  return { snapshot: new Uint8Array(buffer, HEADER), end: head.getUint32(4, true), digest: head.getUint32(8, true), undone: false };
}

/**
 * Undo the file's difference against `memory` (a WebAssembly.Memory as instantiation
 * left it): `file.snapshot` becomes Pyodide's own snapshot. Throws, having changed
 * nothing, if that memory is not the one the difference was taken against.
 */
export function undoDifference(file, memory) {
  if (file.undone) return;
  const n = file.end / 4;
  if (memory.buffer.byteLength < file.end) throw new RangeError("the module's memory is smaller than the snapshot's difference");
  const under = new Uint32Array(memory.buffer, 0, n);
  if (digestOf(under, n) !== file.digest) {
    throw new Error("the snapshot's difference was taken against another module's memory");
  }
  const image = imageWords(file.snapshot, file.end);
  for (let i = 0; i < n; i++) image[i] ^= under[i];
  new Uint32Array(file.snapshot.buffer, file.snapshot.byteOffset, 1)[0] ^= MAGIC; // and its magic number
  file.undone = true;
}

/**
 * Call `seen(memory)` with each WebAssembly module's exported memory as soon as it is
 * instantiated (by `WebAssembly.instantiate` or `instantiateStreaming`), before the
 * caller gets the instance and so before any of the module's code runs. Returns the
 * function that stops watching. What `seen` throws is dropped: Pyodide only warns of a
 * failed instantiation and then waits for ever, whereas a difference left in place has
 * Pyodide refuse the snapshot (its magic number is still spoiled).
 */
export function watchInstantiation(seen) {
  const wasm = globalThis.WebAssembly;
  const { instantiate, instantiateStreaming } = wasm;
  const look = (result) => {
    const memory = (result?.instance ?? result)?.exports?.memory;
    try {
      if (memory instanceof wasm.Memory) seen(memory);
    } catch {
      // dropped (above)
    }
    return result;
  };
  wasm.instantiate = (...args) => instantiate.apply(wasm, args).then(look);
  if (instantiateStreaming) wasm.instantiateStreaming = (...args) => instantiateStreaming.apply(wasm, args).then(look);
  return () => {
    wasm.instantiate = instantiate;
    if (instantiateStreaming) wasm.instantiateStreaming = instantiateStreaming;
  };
}

/**
 * While Pyodide loads a snapshot file: undo its difference against the module's memory
 * the moment the module is instantiated (`fileOf()`, the file read; Pyodide awaits it
 * before it instantiates). Returns `stop`, which ends the watching, and `failed`, why
 * the difference could not be undone, if it could not (Pyodide then refuses the
 * snapshot, its magic number still spoiled, with a reason of its own).
 */
export function undoingOnInstantiation(fileOf) {
  let failed = null;
  const stop = watchInstantiation((memory) => {
    const file = fileOf();
    try {
      if (file) undoDifference(file, memory);
    } catch (error) {
      failed = error;
    }
  });
  return { stop, failed: () => failed };
}
