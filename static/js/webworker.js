// The page's Python session, in a module Web Worker: Pyodide, the chapter's modules
// (runnable/session.py, plotting.py, instruments/) and one namespace the cells share.
//
// Protocol (as in Pyodide's web-worker example): every message is {id, type, …}.
//   page → worker  {id, type: "init", indexURL, snapshotURL?, pyBase, interruptBuffer?, sizes?, reuse?}
//                  (snapshotURL only where the page uses the snapshot, cells.js usesSnapshot)
//                  {id, type: "run", code, name}
//   worker → page  {id, type: "progress", step, of, text, loaded, total, reuse}  while starting
//                  {id, type: "ready", limits: {lines, chars}, heap, packages}    started; the output cap,
//                                                                 bytes of wasm memory, packages' URLs
//                  {id, type: "status", phase: "packages", packages}
//                  {id, type: "status", phase: "running"}
//                  {id, type: "stream", stream: "stdout"|"stderr", text}
//                  {id, type: "figure", figure}
//                  {id, type: "packages", packages}                every package loaded, by URL, once a run's are
//                  {id, type: "done", result}                     result as data
//                  {id, type: "error", error: {kind, message, url?, packages?}}
// Errors are data, never thrown across. The code to run is an argument of
// session.run_cell, never pasted into Python source.

import { PAGE, undoingOnInstantiation, unpackSnapshot } from "./memory-image.js";

const HOME = "/home/pyodide/ch11";

let pyodide = null;
let session = null;
let ready = null; // the one readiness promise
let packageOf = new Map(); // import name → Pyodide package name
let queue = Promise.resolve();

const post = (message) => self.postMessage(message);

class Failure extends Error {
  constructor(kind, message, extra = {}) {
    super(message);
    Object.assign(this, { kind, ...extra });
  }
}

function asData(error) {
  if (error instanceof Failure) {
    const { kind, url, packages } = error;
    return { kind, message: error.message, url, packages };
  }
  return { kind: "crash", message: String(error?.message || error).split("\n")[0].slice(0, 300) };
}

async function fetchOk(url, as) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return as === "json" ? response.json() : response.text();
}

async function fetchModules(pyBase) {
  const { files } = await fetchOk(`${pyBase}manifest.json`, "json");
  const sources = await Promise.all(files.map((rel) => fetchOk(pyBase + rel, "text")));
  return { files, sources };
}

/**
 * Count the bytes of Pyodide's own files as they arrive, for a progress bar:
 * `sizes` maps each file name to its size (the build knows them). Files fetched
 * are counted as their bodies stream in; the two modules Pyodide imports, when
 * they have arrived. Returns a function that stops counting.
 */
function countDownload(sizes, onBytes) {
  const realFetch = self.fetch;
  const nameOf = (url) => String(url?.url ?? url).split("?")[0].split("/").pop();
  const counted = new Set();
  self.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    const name = nameOf(input);
    if (!(name in sizes) || counted.has(name) || !response.ok || !response.body) return response;
    counted.add(name);
    const reader = response.body.getReader();
    const body = new ReadableStream({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else {
          onBytes(value.byteLength);
          controller.enqueue(value);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const observer = typeof PerformanceObserver === "function"
    ? new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          const name = nameOf(entry.name);
          if (name.endsWith(".mjs") && name in sizes && !counted.has(name)) {
            counted.add(name);
            onBytes(sizes[name]);
          }
        }
      })
    : null;
  observer?.observe({ type: "resource", buffered: true });
  return () => {
    self.fetch = realFetch;
    observer?.disconnect();
  };
}

/**
 * Python's memory as it was once started, made by the build (build.py,
 * python_snapshot; its file: memory-image.js): restoring it skips most of Python's
 * start. Resolves to the file read (unpackSnapshot), Pyodide's snapshot (31 MB) inside.
 */
async function fetchSnapshot(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  const buffer = await new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
  try {
    return unpackSnapshot(buffer);
  } catch (error) {
    free(buffer);
    throw error;
  }
}

/**
 * Free an ArrayBuffer's memory now. Unreachable is not enough: an idle worker collects
 * no garbage, so the memory would stay for as long as the worker waits. Transferring
 * the buffer into a message for a closed port detaches it and frees its memory with the
 * dropped message, at once (measured in Chromium: detaching with
 * `ArrayBuffer.prototype.transfer` or `structuredClone` leaves it to the garbage collector).
 */
function free(buffer) {
  try {
    const { port1, port2 } = new MessageChannel();
    port2.close();
    port1.postMessage(buffer, [buffer]);
    port1.close();
  } catch {
    // detached already (it cannot be sent): nothing to free
  }
}

/** Free the snapshot's 31 MB once Python holds its copy: Pyodide keeps its options,
 * the snapshot among them, for the session's life. */
function release(snapshot) {
  snapshot?.then(({ snapshot: { buffer } }) => free(buffer), () => {});
}

/**
 * While `restore` runs, the file's difference is undone as soon as Python's module is
 * instantiated (memory-image.js; should that fail, Pyodide refuses the snapshot, and
 * Python starts afresh). Then Pyodide's copy of the snapshot's memory
 * image into Python's WebAssembly memory (one `HEAP8.set(image)`, in its
 * restoreSnapshot) writes only the pages that differ: half of the image is empty pages,
 * and a page written, even with zeros, is a page the process holds (18 to 25 MB here:
 * README). Fresh WebAssembly memory reads as zeros, so a page empty in the image and
 * still empty in the memory is left as it is. Any other `set` is the usual one.
 */
async function restoring(fileOf, restore) {
  const undoing = undoingOnInstantiation(fileOf);
  const own = Object.hasOwn(Int8Array.prototype, "set");
  const realSet = Int8Array.prototype.set;
  const nonzero = (words, from, to) => {
    for (let i = from; i < to; i++) if (words[i]) return true;
    return false;
  };
  Int8Array.prototype.set = function set(source, offset = 0) {
    const image = fileOf()?.snapshot.buffer ?? null; // the snapshot, once it has arrived
    const aligned = source?.byteOffset % 4 === 0 && this.byteOffset === 0 && offset === 0;
    if (source?.buffer !== image || !aligned || source.byteLength % PAGE || source.byteLength > this.byteLength) {
      return realSet.call(this, source, offset);
    }
    const from = new Uint32Array(source.buffer, source.byteOffset, source.byteLength / 4);
    const into = new Uint32Array(this.buffer, 0, source.byteLength / 4);
    const bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    const words = PAGE / 4;
    for (let page = 0; page < from.length; page += words) {
      if (nonzero(from, page, page + words)) realSet.call(this, bytes.subarray(page * 4, (page + words) * 4), page * 4);
      else if (nonzero(into, page, page + words)) into.fill(0, page, page + words);
    }
  };
  try {
    return await restore();
  } catch (error) {
    throw undoing.failed() ?? error; // why the difference was not undone, rather than Pyodide's "invalid magic number"
  } finally {
    undoing.stop();
    if (own) Int8Array.prototype.set = realSet;
    else delete Int8Array.prototype.set; // the set of all typed arrays again
  }
}

/** Pyodide, restored from `snapshot` if it can be, else started afresh; and which. */
async function startPython(loadPyodide, indexURL, snapshot) {
  const options = { indexURL, stdout: () => {}, stderr: () => {} };
  if (snapshot) {
    try {
      // passed on as a promise: Pyodide fetches its own files while the snapshot arrives
      let file = null;
      const arrived = snapshot.then((read) => (file = read).snapshot);
      arrived.catch(() => {}); // handled where loadPyodide awaits it
      const restored = await restoring(() => file, () => loadPyodide({ ...options, _loadSnapshot: arrived }));
      // The snapshot's random module was seeded at build time: every reader would
      // draw the same numbers. (str and bytes hashing keeps the snapshot's seed.)
      restored.runPython("import sys\nif 'random' in sys.modules: sys.modules['random'].seed()");
      return { started: restored, restored: true };
    } catch (error) {
      release(snapshot); // not needed for a start afresh
      console.warn(`Python's memory snapshot could not be used (${String(error?.message || error).split("\n")[0]}); starting Python afresh.`);
    }
  }
  return { started: await loadPyodide(options), restored: false };
}

async function boot(id, { indexURL, snapshotURL, pyBase, interruptBuffer, sizes = {}, reuse = false }) {
  let loaded = 0;
  let shown = 0;
  const total = Object.values(sizes).reduce((sum, n) => sum + n, 0);
  const progress = (step, text) => post({ id, type: "progress", step, of: 3, text, loaded: Math.min(loaded, total), total, reuse });
  const fetching = reuse ? "starting Python from the files already downloaded" : "downloading Python";
  progress(1, fetching);
  const stopCounting = countDownload(sizes, (bytes) => {
    loaded += bytes;
    const now = performance.now();
    if (now - shown > 100 || loaded >= total) {
      shown = now;
      progress(1, fetching);
    }
  });
  // The snapshot and the chapter's modules download while Pyodide does.
  const snapshot = snapshotURL ? fetchSnapshot(snapshotURL) : null;
  snapshot?.catch(() => {}); // handled where loadPyodide awaits it
  const modules = fetchModules(pyBase);
  modules.catch(() => {}); // awaited below; no unhandled rejection meanwhile
  let loadPyodide;
  try {
    ({ loadPyodide } = await import(`${indexURL}pyodide.mjs`));
  } catch (error) {
    throw new Failure("runtime", String(error?.message || error), { url: `${indexURL}pyodide.mjs` });
  }
  let restored;
  try {
    ({ started: pyodide, restored } = await startPython(loadPyodide, indexURL, snapshot));
  } catch (error) {
    throw new Failure("runtime", String(error?.message || error), { url: indexURL });
  } finally {
    stopCounting();
    release(snapshot);
  }
  progress(2, "loading the chapter's Python modules");
  try {
    const { files, sources } = await modules;
    files.forEach((rel, i) => {
      const path = `${HOME}/${rel}`;
      pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
      pyodide.FS.writeFile(path, sources[i], { encoding: "utf8" });
    });
  } catch (error) {
    throw new Failure("runtime", String(error?.message || error), { url: `${pyBase}manifest.json` });
  }
  progress(3, "starting the session");
  const sys = pyodide.pyimport("sys");
  sys.path.insert(0, HOME);
  sys.destroy();
  session = pyodide.pyimport("session");
  session.install();
  // Take the path of a Run once now, so the reader's first Run does not pay for
  // its first-time costs (the parser, the output plumbing).
  session.imports_to_load("pass").destroy();
  session.run_cell("pass", "warm-up").destroy();
  // Restored, Python has run none of its code in this page yet (see session.warm_up);
  // a later worker of the page shares the code the browser optimised for the first.
  if (restored && !reuse) session.warm_up();
  session.settle();
  pyodide.setStdin({ error: true });
  if (interruptBuffer) pyodide.setInterruptBuffer(interruptBuffer);
  packageOf = new Map();
  for (const [name, info] of Object.entries(pyodide.lockfile?.packages ?? {})) {
    for (const module of info.imports ?? []) packageOf.set(module, name);
  }
  // The output cap is session.py's, applied where output is born; the page applies it
  // once more to what arrives, with these same numbers.
  // heap: the size of Python's WebAssembly memory once started (Pyodide's private
  // `_module`; 0 where it is absent), what a standby worker costs.
  const heap = pyodide._module?.HEAP8?.length ?? 0;
  post({ id, type: "ready", limits: { lines: session.MAX_LINES, chars: session.MAX_CHARS }, heap, packages: packageURLs() });
}

/** The URLs of every package loaded: the page has Python's service worker keep them. */
function packageURLs() {
  return Object.keys(pyodide.loadedPackages ?? {}).map(packageURL).filter((url) => /^https?:/.test(url));
}

function packageURL(name) {
  const info = pyodide.lockfile?.packages?.[name];
  if (!info) return "";
  try {
    return new URL(info.file_name, pyodide.lockfileBaseUrl ?? self.location.href).href;
  } catch {
    return info.file_name;
  }
}

/** Download the packages `code` imports (numpy…) before running it. */
async function loadImports(id, code) {
  // Code that never says "import" imports nothing, and Python need not parse it to know.
  if (!code.includes("import")) return;
  const proxy = session.imports_to_load(code);
  const modules = proxy.toJs();
  proxy.destroy();
  const wanted = [...new Set(modules.map((m) => packageOf.get(m)).filter(Boolean))].filter(
    (name) => !(name in pyodide.loadedPackages),
  );
  if (!wanted.length) return;
  post({ id, type: "status", phase: "packages", packages: wanted });
  const problems = [];
  // loadPackagesFromImports does this mapping itself; we resolve the names first to
  // say what is loading and, if it fails, which package and URL.
  await pyodide.loadPackagesFromImports(modules.map((m) => `import ${m}`).join("\n"), {
    messageCallback: () => {},
    errorCallback: (message) => problems.push(message),
  });
  post({ id, type: "packages", packages: packageURLs() }); // those that loaded, should one have failed
  const failed = wanted.filter((name) => !(name in pyodide.loadedPackages));
  if (failed.length) {
    throw new Failure("package", problems.join(" ") || "download failed", {
      packages: failed,
      url: packageURL(failed[0]),
    });
  }
}

async function run(id, { code, name }) {
  await ready;
  await loadImports(id, code);
  post({ id, type: "status", phase: "running" });
  const write = (stream, text) => post({ id, type: "stream", stream, text });
  const emitFigure = (json) => post({ id, type: "figure", figure: JSON.parse(json) });
  const proxy = session.run_cell.callKwargs(code, name, { write, emit_figure: emitFigure });
  const result = proxy.toJs({ dict_converter: Object.fromEntries });
  proxy.destroy();
  post({ id, type: "done", result });
}

self.onmessage = (event) => {
  const { id, type, ...data } = event.data ?? {};
  if (type === "init") {
    ready ??= boot(id, data);
    ready.catch((error) => post({ id, type: "error", error: asData(error) }));
  } else if (type === "run") {
    // one run at a time, in the order asked (the page queues too)
    queue = queue.then(() => run(id, data).catch((error) => post({ id, type: "error", error: asData(error) })));
  }
};
