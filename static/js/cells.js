// Live code cells: edit the code, Run it in the page's Python session, Stop, Reset.
//
// The build's highlighted <pre> stays until the reader engages (click, Enter, Run);
// only then is the CodeMirror bundle fetched and swapped in. Python (13.5 MB) starts
// on the first Run, or ahead of it on a sign that the reader means to run a cell: a
// cell's code kept in view for a moment, a pointer over a cell, focus in one. Never
// ahead of a Run under Save-Data or on a slow connection.

import { createRuntime } from "./py-worker.js";
import { createOutput } from "./cell-output.js";
import { statusText, megabytes, BUSY_PHASES } from "./cell-text.js";
import { busyWith } from "./quiet.js";
import { drawWhenVisible } from "./plots.js";
import * as storage from "./storage.js";

const EDITOR_URL = new URL("./editor.js", import.meta.url).href;
const SAVE_DELAY_MS = 400;
const DWELL_MS = 1500; // a cell's code in view this long is a sign of intent

let editorModule = null;
function loadEditor() {
  editorModule ??= import(EDITOR_URL).catch((error) => {
    editorModule = null;
    throw error;
  });
  return editorModule;
}

/** Offset into `container`'s text of the point (x, y), or null. */
function textOffsetAt(container, x, y) {
  let node;
  let offset;
  if (document.caretPositionFromPoint) {
    const position = document.caretPositionFromPoint(x, y);
    if (position) ({ offsetNode: node, offset } = position);
  } else if (document.caretRangeFromPoint) {
    const range = document.caretRangeFromPoint(x, y);
    if (range) ({ startContainer: node, startOffset: offset } = range);
  }
  if (!node || !container.contains(node)) return null;
  const range = document.createRange();
  range.setStart(container, 0);
  range.setEnd(node, offset);
  return range.toString().length;
}

function button(text, label, className) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = className;
  node.textContent = text;
  node.setAttribute("aria-label", label);
  return node;
}

export function mount(figure, { runtime }) {
  const name = figure.dataset.cell;
  const key = `code:${figure.id}`;
  const number = figure.querySelector(".cell-title .anchor")?.textContent.trim() || `cell ${name}`;
  const source = figure.querySelector(".cell-source");
  let pre = source.querySelector("pre");
  const code = pre.querySelector("code") ?? pre;
  const label = pre.getAttribute("aria-label") || `Python code of ${number}`;
  const output = figure.querySelector(".cell-output");
  const original = code.textContent.replace(/\n$/, "");
  const originalHTML = code.innerHTML; // the build's own highlighted markup
  const prerunHTML = output.innerHTML; // the build's own pre-run output

  const toolbar = document.createElement("div");
  toolbar.className = "cell-toolbar";
  const runButton = button("Run", `Run ${number}`, "cell-run");
  const stopButton = button("Stop", `Stop ${number}`, "cell-stop secondary");
  const resetButton = button("Reset", `Reset ${number}`, "cell-reset secondary");
  const edited = document.createElement("span");
  edited.className = "cell-edited";
  edited.textContent = "Edited — Reset restores the original.";
  edited.hidden = true;
  const keys = document.createElement("span");
  keys.className = "cell-keys visually-hidden";
  keys.id = `${figure.id}-keys`;
  keys.textContent =
    "Enter edits the code and Shift+Enter runs it. In the editor, Tab indents; press Escape, then Tab, to leave it.";
  pre.setAttribute("aria-describedby", keys.id);
  // shown while the editor has focus, where Tab indents (WCAG 2.1.2: no keyboard trap)
  const leave = document.createElement("span");
  leave.className = "cell-editor-hint";
  leave.setAttribute("aria-hidden", "true"); // the editor's description says it to screen readers
  leave.textContent = "Esc, then Tab, to leave the editor";
  toolbar.append(runButton, stopButton, resetButton, edited, leave, keys);
  const statusLine = document.createElement("p");
  statusLine.className = "cell-status-line";
  const status = document.createElement("span");
  status.className = "cell-status";
  status.setAttribute("role", "status");
  const elapsed = document.createElement("span");
  elapsed.className = "cell-elapsed";
  elapsed.setAttribute("aria-hidden", "true");
  // the download of Python, in bytes (the status says what happens, once; this moves)
  const download = document.createElement("span");
  download.className = "cell-download";
  download.hidden = true;
  const meter = document.createElement("progress");
  meter.setAttribute("aria-label", "Python download");
  const bytes = document.createElement("span");
  bytes.setAttribute("aria-hidden", "true");
  download.append(meter, bytes);
  statusLine.append(status, elapsed, download);
  source.after(toolbar, statusLine);

  let editor = null;
  let opening = null;
  let job = null; // the run in flight, if any
  let active = null; // token of the run whose messages count
  let clock = 0;
  let clockPhase = null; // the phase the elapsed-time clock counts
  let saveTimer = 0;
  let showingPrerun = true; // the output is still the build's
  let resets = 0;
  let staleNote = null; // "this output is from the original code", after a reload with edits

  const currentCode = () => (editor ? editor.getCode() : code.textContent.replace(/\n$/, ""));

  function show(state) {
    const text = statusText(state);
    if (status.textContent !== text) status.textContent = text; // the same words are not said twice
    const outcome = state.phase === "done" ? state.result.status : state.phase;
    figure.dataset.state = outcome;
    const busy = BUSY_PHASES.has(state.phase);
    runButton.setAttribute("aria-disabled", String(busy));
    stopButton.setAttribute("aria-disabled", String(!busy));
    const downloading = state.phase === "loading" && state.step === 1 && state.total > 0 && !state.reuse;
    download.hidden = !downloading;
    if (downloading) {
      const said = `${megabytes(state.loaded)} of ${megabytes(state.total)} MB`;
      meter.max = state.total;
      meter.value = state.loaded;
      meter.setAttribute("aria-valuetext", `${said} downloaded`);
      bytes.textContent = said;
    }
    const clockFor = busy && state.phase !== "queued" ? `${state.phase}:${state.step ?? ""}` : null;
    if (clockFor === clockPhase) return; // progress within a phase: the clock runs on
    clockPhase = clockFor;
    clearInterval(clock);
    elapsed.textContent = "";
    if (clockFor) {
      const since = performance.now();
      clock = setInterval(() => {
        elapsed.textContent = `${Math.floor((performance.now() - since) / 1000)} s`;
      }, 1000);
    }
  }

  function markEdited(value) {
    edited.hidden = value === original;
  }

  let unsaved = null; // code typed but not yet saved (saving waits for a pause in typing)
  function save() {
    clearTimeout(saveTimer);
    if (unsaved === null) return;
    if (unsaved === original) storage.remove(key);
    else storage.save(key, unsaved);
    unsaved = null;
  }
  // A reload or a closed tab inside the pause still keeps the last keystroke.
  window.addEventListener("pagehide", save);

  function remember(value) {
    clearTimeout(saveTimer);
    unsaved = value;
    saveTimer = setTimeout(save, SAVE_DELAY_MS);
    markEdited(value);
  }

  /** Swap the <pre> for CodeMirror with the same code (once). */
  function openEditor({ focus = true, at = null } = {}) {
    if (editor) {
      if (focus) editor.focus();
      return Promise.resolve(editor);
    }
    opening ??= loadEditor()
      .then(({ createEditor }) => {
        const host = document.createElement("div");
        host.className = "cell-editor";
        const hadFocus = document.activeElement === pre;
        editor = createEditor(host, {
          doc: currentCode(),
          label,
          describedBy: keys.id,
          onRun: run,
          onChange: remember,
        });
        pre.replaceWith(host);
        pre = host;
        if (at !== null) editor.view.dispatch({ selection: { anchor: Math.min(at, editor.view.state.doc.length) } });
        if (focus || hadFocus) editor.focus();
        return editor;
      })
      .catch(() => {
        opening = null;
        show({ phase: "editor-failed" });
        return null;
      });
    return opening;
  }

  async function run() {
    if (job) return;
    const token = {};
    active = token;
    const view = createOutput(output, () => runtime.limits);
    const mine = (fn) => (...args) => {
      if (active === token) fn(...args);
    };
    openEditor({ focus: false });
    const quiet = busyWith(); // a cell running: background work waits (quiet.js)
    let outcome;
    try {
      job = runtime.run(currentCode(), name, {
        onStatus: mine((state) => {
          if (state.phase === "running") {
            view.begin();
            showingPrerun = false;
            staleNote?.remove();
          }
          show(state);
        }),
        onStream: mine((stream, text) => view.text(stream, text)),
        onFigure: mine((spec) => view.figure(spec)),
      });
      if (figure.dataset.state !== "queued") show({ phase: runtime.started ? "running" : "loading" });
      outcome = await job.done;
    } catch (error) {
      outcome = { phase: "failed", error: { message: String(error?.message || error) } };
    } finally {
      quiet();
      job = null;
      if (active === token) {
        if (outcome?.phase === "done") view.finish(outcome.result);
        view.close();
      }
    }
    if (active === token) show({ ...outcome, prerun: showingPrerun });
  }

  function stop() {
    job?.stop();
  }

  function restoreCode() {
    if (editor) editor.setCode(original);
    else code.innerHTML = originalHTML;
    clearTimeout(saveTimer);
    unsaved = null;
    storage.remove(key);
    markEdited(original);
    staleNote?.remove();
  }

  function reset() {
    const inFlight = job;
    stop();
    active = null;
    const resetAt = ++resets;
    // a run that Reset stopped may have restarted Python: say so, as Stop does
    inFlight?.done.then((outcome) => {
      if (resetAt === resets && !active && outcome?.phase === "stopped" && outcome.restarted) {
        show({ phase: "reset", restarted: true });
      }
    });
    restoreCode();
    output.removeAttribute("aria-busy");
    output.innerHTML = prerunHTML;
    staleNote?.remove();
    showingPrerun = true;
    drawWhenVisible(output);
    show({ phase: "reset" });
  }

  runButton.addEventListener("click", () => {
    if (runButton.getAttribute("aria-disabled") !== "true") run();
  });
  stopButton.addEventListener("click", () => {
    if (stopButton.getAttribute("aria-disabled") !== "true") stop();
  });
  resetButton.addEventListener("click", reset);

  // A reader who reaches for a cell is likely to run it: start Python now.
  const engage = () => warm(runtime);
  figure.addEventListener("pointerenter", engage, { once: true });
  figure.addEventListener("focusin", engage, { once: true });
  pre.addEventListener("pointerdown", engage, { once: true });
  pre.addEventListener("focus", () => loadEditor().catch(() => {}));
  pre.addEventListener("click", (event) => {
    if (editor || String(document.getSelection()).length) return; // let a reader copy text
    openEditor({ at: textOffsetAt(code, event.clientX, event.clientY) });
  });
  pre.addEventListener("keydown", (event) => {
    if (editor || event.key !== "Enter") return;
    event.preventDefault();
    if (event.shiftKey || event.ctrlKey || event.metaKey) run();
    else openEditor();
  });

  // Edited code kept from an earlier visit: shown in the editor, as it will be edited,
  // and the build's output below it marked as the original code's until the next Run.
  const saved = storage.load(key);
  if (saved !== null && saved !== original) {
    code.textContent = saved; // plain text until the editor opens
    markEdited(saved);
    staleNote = document.createElement("p");
    staleNote.className = "cell-note cell-stale";
    staleNote.textContent = "This output is from the original code, not your edited code: Run to see what your code prints.";
    output.before(staleNote);
    const idle = window.requestIdleCallback ?? ((fn) => setTimeout(fn, 300));
    idle(() => openEditor({ focus: false }));
  }
  show({ phase: "idle" });

  return {
    /** Forget the saved edit (the footer's "Clear my saved answers and code"). */
    forgetEdits() {
      if (currentCode() !== original) restoreCode();
    },
  };
}

/** Save-Data, or a connection the browser rates 3G or slower. */
export function meteredOrSlow(connection = navigator.connection) {
  return Boolean(connection?.saveData) || /^(slow-2g|2g|3g)$/.test(connection?.effectiveType ?? "");
}

/**
 * Whether Python starts from its memory snapshot (4.7 MB): it saves seconds of start
 * but adds three quarters to Python's download, so not under Save-Data or on a slow
 * connection, and only where the browser can unpack it.
 */
export function usesSnapshot(connection = navigator.connection) {
  return !meteredOrSlow(connection) && typeof DecompressionStream === "function";
}

/**
 * Start Python ahead of the first Run, unless the connection is metered or slow;
 * `<main data-runtime="ready">` once it is up.
 */
function warm(runtime) {
  const main = document.getElementById("main");
  if (runtime.started || meteredOrSlow()) return;
  if (main) main.dataset.runtime = "warming";
  runtime
    .warmUp()
    .then(() => {
      if (main) main.dataset.runtime = "ready";
    })
    .catch(() => {
      if (main) delete main.dataset.runtime;
    });
}

/** Warm up once some cell's code has stayed in view for DWELL_MS. */
function warmWhenDwelling(runtime, figures) {
  if (!("IntersectionObserver" in window)) return;
  const timers = new Map();
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        clearTimeout(timers.get(entry.target));
        if (entry.isIntersecting) {
          timers.set(entry.target, setTimeout(() => {
            observer.disconnect();
            warm(runtime);
          }, DWELL_MS));
        }
      }
    },
    { threshold: 0.6 },
  );
  figures.forEach((figure) => observer.observe(figure.querySelector(".cell-source") ?? figure));
}

/** Mount every code cell in `root`; one runtime (one worker) for them all. */
export function mountAll(root = document) {
  const figures = [...root.querySelectorAll("figure.cell[data-cell]")];
  if (!figures.length) return [];
  const main = document.getElementById("main");
  let indexURL = new URL(main?.dataset.pyodideUrl || "assets/pyodide/", document.baseURI).href;
  if (!indexURL.endsWith("/")) indexURL += "/";
  let sizes = {};
  try {
    sizes = JSON.parse(main?.dataset.pyodideSizes || "{}");
  } catch {
    /* no sizes: the download shows no bar */
  }
  const snapshot = usesSnapshot() ? main?.dataset.pyodideSnapshot : "";
  if (!snapshot) delete sizes[main?.dataset.pyodideSnapshot?.split("/").pop()];
  const runtime = createRuntime({
    indexURL,
    snapshotURL: snapshot ? new URL(snapshot, document.baseURI).href : "",
    pyBase: new URL("../py/", import.meta.url).href,
    sizes,
    standby: !meteredOrSlow(),
    // the service worker keeps what Python fetched once Python has it (offline.js)
    onFiles: (packages) =>
      document.dispatchEvent(new CustomEvent("python-files", { detail: { packages, snapshot: Boolean(snapshot) } })),
    // <main data-standby="ready" data-standby-heap="…">: a started worker waits for the run after a Stop
    onStandby(spare) {
      if (!main) return;
      if (spare) Object.assign(main.dataset, { standby: "ready", standbyHeap: String(spare.heap) });
      else delete main.dataset.standby;
    },
  });
  const cells = figures.map((figure) => mount(figure, { runtime }));
  warmWhenDwelling(runtime, figures);
  return cells;
}
